"""Texts of sign-in protection: the wait after failed attempts, password changes and resets."""

TEXTS = {
    "err.sign_in_wait": ("Too many attempts: sign-in is paused. Try again in {seconds} s.",
                         "尝试次数过多，登录已暂停。请在 {seconds} 秒后重试。"),
    "reason.wrong_current_password": ("is not your current password", "不是您当前的密码"),
    "field.current_password": ("Current password", "当前密码"),
    "admin.password_changed": ("Your password is changed. Your other sign-ins have ended.",
                               "您的密码已修改，您在其他地方的登录均已结束。"),
    "admin.password_reset_sessions": ("Password reset for {name}; every sign-in of theirs has ended.",
                                      "已重置 {name} 的密码，其所有登录均已结束。"),
    "shell.session_ended": ("Your sign-in has ended (password changed or reset, or signed out elsewhere). "
                            "Please sign in again.",
                            "您的登录已结束（密码已修改或重置，或已在别处退出）。请重新登录。"),
}
