"""The one money formatter and what it builds on: an amount in whole units rounded to its currency's minor
unit, written with its currency and unit ("CNY 20.0 k" / "2.00 万元").

A leaf module (standard library only) so that every other kamcore module — errors and records included — can
format money without an import cycle; `kamcore.money` re-exports it, and the rules are described there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator

DEFAULT_REPORTING = "CNY"
# 中文 currency names for the 万 / 亿 scheme; any other code is written after the number
ZH_NAMES = {"CNY": "元", "RMB": "元", "USD": "美元", "HKD": "港元", "EUR": "欧元", "JPY": "日元", "GBP": "英镑",
            "SGD": "新加坡元", "TWD": "新台币", "KRW": "韩元", "AUD": "澳元", "CHF": "瑞士法郎"}
# decimals of the currency's minor unit (the cent); every other currency has 2
MINOR_DIGITS = {"JPY": 0, "KRW": 0}


# ------------------------------------------------------------------------------------------- formatting


def minor_digits(currency: str | None) -> int:
    """How many decimals the currency's minor unit has (2; 0 for JPY and KRW)."""
    return MINOR_DIGITS.get((currency or DEFAULT_REPORTING).upper(), 2)


def amount(value: float | int | None, currency: str | None = None) -> float | None:
    """An amount in whole units rounded to the currency's minor unit, as it is stored (None stays None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    step = Decimal(1).scaleb(-minor_digits(currency))
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)) + 0.0  # half up, as people round


def fmt(value: float | None, currency: str | None, lang: str = "en") -> str:
    """An amount in whole units with its currency and unit ("CNY 20.0 k", "CNY 1.70 M" / "2.00 万元",
    "1.70 亿元"); an em dash for None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    currency = (currency or DEFAULT_REPORTING).upper()
    full = amount(value, currency)
    sign = "-" if full < 0 else ""
    size = abs(full)
    small = as_typed(size, currency)
    if lang == "zh":
        name = ZH_NAMES.get(currency)
        suffix = name if name else f" {currency}"
        if size >= 1e8:
            return f"{sign}{size / 1e8:,.2f} 亿{suffix}"
        if size >= 1e4:
            return f"{sign}{size / 1e4:,.2f} 万{suffix}"
        return f"{sign}{small} {suffix}".replace("  ", " ")
    if size >= 1e9:
        return f"{currency} {sign}{size / 1e9:,.2f} B"
    if size >= 1e6:
        return f"{currency} {sign}{size / 1e6:,.2f} M"
    if size >= 1e3:
        return f"{currency} {sign}{size / 1e3:,.1f} k"
    return f"{currency} {sign}{small}"


@dataclass(frozen=True)
class Amount:
    """An amount and its currency inside a message: formatted with `fmt` in the reader's language when shown."""

    value: float | None
    currency: str | None

    def text(self, lang: str = "en") -> str:
        """The amount as `fmt` writes it in `lang`."""
        return fmt(self.value, self.currency, lang)

    def __str__(self) -> str:
        return self.text("en")


def localized(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """Message parameters with every `Amount` formatted in `lang` (the rest as they are)."""
    return {k: v.text(lang) if isinstance(v, Amount) else v for k, v in params.items()}


def label(text: str, currency: str | None) -> str:
    """A money input's label with its currency: "Budget planned (CNY)"."""
    return f"{text} ({(currency or DEFAULT_REPORTING).upper()})"


def axis_title(text: str, currency: str | None) -> str:
    """A chart axis or legend title for amounts, with their currency: "Revenue (CNY)"."""
    return label(text, currency)


def as_typed(value: float | None, currency: str | None = None) -> str:
    """An amount as a person would type it into an input ("20,000", "1,234.50"); "" for None. The input's
    text, read back by `parse`; never a display (that is `fmt`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    rounded = amount(value, currency)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.{minor_digits(currency)}f}"


# An amount field of a record model: whatever the input (a form, a table, an import), stored rounded to the cent.
Whole = Annotated[float, AfterValidator(amount)]
