"""Texts for refusals found by the robustness work (fuzzing the write paths)."""

TEXTS = {
    "reason.control_character": ("contains a control character (such as NUL or ESC): remove it and save again",
                                  "包含控制字符（如 NUL、ESC）：请删除后再保存"),
    "reason.number_too_large": ("is too large a number to store", "数值过大，无法保存"),
}
