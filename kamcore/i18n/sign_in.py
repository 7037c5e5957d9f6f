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
    "signin.keep": ("Keep me signed in on this computer (30 days)", "在此电脑上保持登录（30 天）"),
    "signin.refused": ("This sign-in came from another site and was refused.", "此登录请求来自其他网站，已拒绝。"),
    "sessions.title": ("My sign-ins", "我的登录"),
    "sessions.intro": ("Every browser where you are signed in. End one you no longer use (a laptop left "
                       "behind): it is signed out at its next click.",
                       "您已登录的每个浏览器。结束不再使用的登录（例如遗留的笔记本电脑），它在下次操作时即退出。"),
    "sessions.opened": ("Signed in {when}", "登录于 {when}"),
    "sessions.until": ("until {when}", "有效至 {when}"),
    "sessions.kept": ("kept on that computer", "在该电脑上保持登录"),
    "sessions.this_browser": ("this browser", "当前浏览器"),
    "sessions.end": ("End", "结束"),
    "sessions.ended": ("That sign-in has ended.", "该登录已结束。"),
}
