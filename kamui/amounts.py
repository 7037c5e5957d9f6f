"""Money inputs: a text box labelled with its currency, read by `kamcore.money.parse` (the one parser).

A text input rather than `st.number_input`, so "1,234.50" and, in 中文, "12万" / "1.5亿" can be typed.
"""

from __future__ import annotations

from typing import Any

from kamcore import money
from kamui.context import lang


def amount_input(container: Any, text: str, currency: str | None, key: str, value: float | None = None,
                 **options: Any) -> str:
    """A money input ("Budget planned (CNY)") showing `value` as typed; returns the text for `money.parse`.

    The value is sent on every run, not only the first (a browser that had not drawn the input yet — a tab
    opened later — shows what is stored, never a blank a save would write); a form keys it by record and
    version (`VersionedForm.widget`), so a teammate's save draws a fresh input."""
    return container.text_input(money.label(text, currency), key=key, value=money.as_typed(value, currency),
                                placeholder=money.EXAMPLE.get(lang(), money.EXAMPLE["en"]), **options)
