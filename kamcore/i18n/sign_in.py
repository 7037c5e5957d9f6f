"""Texts of sign-in protection: the wait after failed attempts, password changes and resets."""

TEXTS = {
    "err.sign_in_wait": ("Too many attempts: sign-in is paused. Try again in {seconds} s.",
                         "尝试次数过多，登录已暂停。请在 {seconds} 秒后重试。"),
}
