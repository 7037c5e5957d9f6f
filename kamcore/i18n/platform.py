"""Texts of the platform: the error boundary's message (with a reference the user can quote)."""

TEXTS = {
    "shell.unexpected_ref": (
        "Something went wrong on our side; nothing was saved. The error was logged under reference {ref} "
        "— quote it if you report the problem.",
        "系统内部出错，未保存任何内容。错误已记录，编号 {ref}，反馈问题时请提供此编号。",
    ),
}
