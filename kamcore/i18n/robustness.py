"""Texts for refusals found by the robustness work (fuzzing the write paths)."""

TEXTS = {
    "reason.number_too_large": ("is too large a number to store", "数值过大，无法保存"),
}
