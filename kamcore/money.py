"""Money with its currency and unit: the reporting currency, exchange rates, conversion, the ONE parser
and the ONE formatter.

Storage: every amount in the war room (account financials, deals, goals, budgets, thresholds) is
stored in WHOLE UNITS of its own currency — a 20,000 CNY budget is the number 20000 — as a SQLite
REAL rounded to the currency's minor unit (`MINOR_DIGITS`: 2 decimals; 0 for JPY and KRW) by
`amount()` at every input. Whole units mean every boundary — a file, a person, a rule — speaks the
same unit as the database, so nothing multiplies or divides by 1,000 on the way in or out. A float
holds every cent amount below 10^13 exactly enough that rounding to the cent gives it back, and a
sum of cent amounts rounds back to the exact cent sum (tests/core/test_money.py checks both with
hypothesis); sums are rounded once, at display. An account's financials and goals are in the
account's currency, a deal in its own `currency`.

Input: `parse(text, field, lang)` is the only money parser: "1,234.50", "1234.5", and in 中文 also
"12万", "1.5亿", "3千". Anything else is refused with a ValidationError naming the field and giving
an example of what is accepted. `label(text, currency)` names a money input with its currency
("Budget planned (CNY)").

Display: `fmt(value, currency, lang)` is the only money formatter. English uses k (one decimal) /
M / B (two decimals): "CNY 20.0 k", "CNY 1.70 M"; 中文 uses the customary 万 / 亿 (two decimals)
with the currency's name: "2.00 万元", "1.70 亿元", "4,628.00 万美元". Babel's compact formats
(`format_compact_currency`) were measured against these and not used: they drop trailing zeros
("CN¥20K", "¥2万"), write symbols instead of codes, and have no 元 / 美元 suffix.

Conversion: the reporting currency (admin setting, default CNY) and one rate per currency
and year (`rate` = units of the reporting currency for one unit of `currency`). A total
across accounts converts each amount at its year's rate and says so (`Total.rates`); an
amount in a currency with no rate is never dropped: it stays in `Total.unconverted` in its
own currency, with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import records, store
from kamcore.data.imports import files
from kamcore.errors import FieldProblem, PermissionDenied, ValidationError
from kamcore.money_format import (  # noqa: F401 - the one formatter, re-exported: kamcore.money.fmt
    DEFAULT_REPORTING,
    MINOR_DIGITS,
    ZH_NAMES,
    Amount,
    amount,
    as_typed,
    axis_title,
    fmt,
    label,
    localized,
    minor_digits,
)
from kamcore.records import Entity, Record
from kamcore.users import User

# the 中文 multipliers a typed amount may end with
ZH_MULTIPLIERS = {"千": 1e3, "万": 1e4, "亿": 1e8}
EXAMPLE = {"en": "1,234.50", "zh": "1,234.50 / 12万"}


# ---------------------------------------------------------------------------------------------- parsing

_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")


def parse(text: Any, field_name: str, lang: str = "en", *, currency: str | None = None,
          allow_negative: bool = False, required: bool = False) -> float | None:
    """What a person typed as an amount, in whole units rounded to the currency's minor unit.

    Takes "1,234.50" and "1234.5" (and numbers as they are); in 中文 also "12万", "1.5亿", "3千". A blank
    is None (or refused when `required`). Refused with a ValidationError naming `field_name` and giving
    an example: letters, two decimal marks, 万/亿/千 in an English form, a negative where not allowed."""
    if isinstance(text, bool):
        raise _refused(field_name, lang, text)
    if isinstance(text, (int, float)):
        if isinstance(text, float) and math.isnan(text) and not required:
            return None
        if not math.isfinite(text):
            raise _refused(field_name, lang, text)
        value = float(text)
    else:
        raw = "" if text is None else str(text)
        cleaned = raw.strip().replace("\u00a0", "").replace(" ", "").replace("，", ",").replace("．", ".")
        if cleaned.endswith(("元", "圆")) and lang == "zh":
            cleaned = cleaned[:-1]
        if not cleaned:
            if required:
                raise ValidationError.single(field_name, "reason.missing")
            return None
        negative = cleaned.startswith("-")
        if negative:
            cleaned = cleaned[1:]
        factor = 1.0
        if cleaned and cleaned[-1] in ZH_MULTIPLIERS:
            if lang != "zh":
                raise ValidationError.single(field_name, "reason.amount_zh_unit_in_en", value=raw.strip(),
                                             example=EXAMPLE["en"])
            factor = ZH_MULTIPLIERS[cleaned[-1]]
            cleaned = cleaned[:-1]
        if not _NUMBER.match(cleaned):
            raise _refused(field_name, lang, raw.strip())
        value = float(cleaned.replace(",", "")) * factor * (-1 if negative else 1)
    if value < 0 and not allow_negative:
        raise ValidationError.single(field_name, "reason.amount_negative", value=text, example=EXAMPLE[lang])
    if abs(value) >= 1e13:
        raise ValidationError.single(field_name, "reason.number_too_large")
    return amount(value, currency)


def _refused(field_name: str, lang: str, value: Any) -> ValidationError:
    return ValidationError.single(field_name, "reason.amount_unreadable", value=value,
                                  example=EXAMPLE["zh" if lang == "zh" else "en"])


# ---------------------------------------------------------------------------------------- settings, rates


class SettingsIn(Record):
    """The war room's reporting currency."""

    reporting_currency: str = Field(pattern=r"^[A-Z]{3}$")

    @field_validator("reporting_currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class RateIn(Record):
    """One exchange rate: units of `to_currency` for one unit of `currency`, for one year."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    to_currency: str = Field(pattern=r"^[A-Z]{3}$")
    year: int = Field(ge=1990, le=2100)
    rate: float = Field(gt=0, allow_inf_nan=False)
    note: str = Field(default="", max_length=200)

    @field_validator("currency", "to_currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


SETTINGS = Entity("money_settings", "money_settings", SettingsIn, account_field=None)
RATE = Entity("exchange_rate", "exchange_rates", RateIn, account_field=None)


def reporting_currency(db: Database) -> str:
    """The currency totals across accounts are shown in (default CNY)."""
    found = db.execute("SELECT reporting_currency FROM money_settings ORDER BY id LIMIT 1").fetchone()
    return found[0] if found else DEFAULT_REPORTING


def set_reporting_currency(db: Database, actor: User, currency: str) -> dict[str, Any]:
    """Change the reporting currency (admins; audited). Existing rates to the old currency stay but no
    longer apply: conversions then say which rate is missing."""
    found = store.row(db, "SELECT id, version FROM money_settings ORDER BY id LIMIT 1")
    if found is None:
        return records.create(db, actor, SETTINGS, {"reporting_currency": currency})
    return records.update(db, actor, SETTINGS, found["id"], found["version"], {"reporting_currency": currency})


def list_rates(db: Database) -> list[dict[str, Any]]:
    """Every stored rate, newest year first."""
    return store.rows(db, "SELECT * FROM exchange_rates ORDER BY year DESC, currency, to_currency")


def save_rate(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Create or correct the rate of a currency and year to the reporting currency (admins; audited).

    A rate of 0, a negative or a missing one is refused naming the field."""
    if values.get("rate") is None or values.get("rate") == "":
        raise ValidationError.single("rate", "reason.missing")
    values = {"to_currency": reporting_currency(db), **values}
    clean = records.validate(RATE, values)
    existing = store.row(db, "SELECT id, version FROM exchange_rates WHERE currency = ? AND to_currency = ? "
                             "AND year = ?", [clean["currency"], clean["to_currency"], clean["year"]])
    if existing is None:
        return records.create(db, actor, RATE, clean)
    changes = {k: clean[k] for k in ("rate", "note")}
    return records.update(db, actor, RATE, existing["id"], existing["version"], changes)


def delete_rate(db: Database, actor: User, rate_id: int, base_version: int) -> None:
    """Remove a rate (admins; audited)."""
    records.delete(db, actor, RATE, rate_id, base_version)


def rate(db: Database, currency: str, year: int | None, to: str | None = None) -> float | None:
    """Units of `to` (default: the reporting currency) for one unit of `currency` in `year`; 1 for the same
    currency; None when no rate is stored."""
    to = to or reporting_currency(db)
    if currency == to:
        return 1.0
    if year is None:
        return None
    found = db.execute("SELECT rate FROM exchange_rates WHERE currency = ? AND to_currency = ? AND year = ?",
                       [currency, to, year]).fetchone()
    if found:
        return float(found[0])
    back = db.execute("SELECT rate FROM exchange_rates WHERE currency = ? AND to_currency = ? AND year = ?",
                      [to, currency, year]).fetchone()
    return 1.0 / float(back[0]) if back else None


@dataclass
class Total:
    """A sum in the reporting currency, the rates it used, and what could not be converted (and why)."""

    currency: str
    year: int | None
    amount: float = 0.0
    rates: dict[str, float] = field(default_factory=dict)
    unconverted: dict[str, float] = field(default_factory=dict)  # currency -> amount in that currency

    def as_dict(self) -> dict[str, Any]:
        """The total as plain data (amount, currency, the rates used, what stayed unconverted)."""
        return {"currency": self.currency, "year": self.year, "amount": self.amount, "rates": dict(self.rates),
                "unconverted": dict(self.unconverted)}


def total(db: Database, amounts: list[tuple[float | None, str]], year: int | None) -> Total:
    """Sum (amount, currency) pairs in the reporting currency at `year`'s rates.

    An amount whose currency has no rate for the year is kept, unconverted, in `unconverted`."""
    out = Total(currency=reporting_currency(db), year=year)
    cache: dict[str, float | None] = {}
    for value, currency in amounts:
        if value is None:
            continue
        if currency not in cache:
            cache[currency] = rate(db, currency, year, out.currency)
        found = cache[currency]
        if found is None:
            out.unconverted[currency] = out.unconverted.get(currency, 0.0) + value
            continue
        out.amount += value * found
        if currency != out.currency:
            out.rates[currency] = found
    return out


def convert(db: Database, value: float, currency: str, to: str, year: int | None) -> float | None:
    """`value` in `currency` expressed in `to` at `year`'s rates (through the reporting currency); None if a
    rate is missing."""
    if currency == to:
        return value
    there = rate(db, currency, year)
    back = rate(db, to, year)
    return None if there is None or back is None else value * there / back


def missing_rates(db: Database, year: int) -> list[str]:
    """Currencies in use (accounts and open or won deals) with no rate to the reporting currency in `year`."""
    used = {r[0] for r in db.execute("SELECT currency FROM accounts UNION SELECT currency FROM opportunities")}
    return sorted(c for c in used if rate(db, c, year) is None)


# -------------------------------------------------------------------------------------------- CSV import

RATE_COLUMNS = ("currency", "year", "rate")


def check_rates_csv(db: Database, data: bytes) -> tuple[list[dict[str, Any]], list[FieldProblem]]:
    """Rows of a rates CSV (columns currency, year, rate; optional note) checked one by one; nothing written.

    Each problem names its line (the header is line 1) and field: a rate of 0, negative, missing or not
    a number, an unknown year, a currency that is not a 3-letter code, a currency and year given twice."""
    try:
        frame = files.read_table(data, "rates.csv")  # the one reader of every import
    except ValidationError as exc:
        return [], exc.problems
    mark = frame.attrs.get("decimal_mark", files.POINT)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    problems = [FieldProblem(c, "reason.missing_column", {"column": c}) for c in RATE_COLUMNS
                if c not in frame.columns]
    if problems:
        return [], problems
    if frame.empty:
        return [], [FieldProblem("file", "reason.empty_file")]
    to = reporting_currency(db)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for index, cells in enumerate(frame.to_dict("records")):
        line = index + 2
        values: dict[str, Any] = {"currency": cells["currency"].strip().upper(), "to_currency": to,
                                  "year": cells["year"].strip(), "rate": _rate_text(cells["rate"], mark),
                                  "note": (cells.get("note") or "").strip()}
        if not values["rate"]:
            problems.append(FieldProblem("rate", "reason.missing", {}, line))
            continue
        try:
            clean = records.validate(RATE, values)
        except ValidationError as exc:
            problems.extend(exc.at_row(line))
            continue
        key = (clean["currency"], str(clean["year"]))
        if key in seen:
            problems.append(FieldProblem("year", "reason.duplicate_rate", {"other": seen[key]}, line))
            continue
        seen[key] = line
        rows.append(clean)
    return rows, problems


def _rate_text(text: str, mark: str | None) -> str:
    """A rate cell under the file's decimal mark as plain text for validation (unreadable text as it is)."""
    try:
        value = files.parse_amount(text, mark)
    except ValueError:
        return text.strip()
    return "" if value is None else str(value)


def import_rates(db: Database, actor: User, data: bytes) -> dict[str, int]:
    """Import a rates CSV (admins): every row valid, then all written in one transaction (audited) — or none.
    Who may is decided before the file is read."""
    if not actor.is_admin:
        raise PermissionDenied("err.admin_only")
    rows, problems = check_rates_csv(db, data)
    if problems:
        raise ValidationError(problems)
    with store.transaction(db):
        for values in rows:
            save_rate(db, actor, values)
    return {"rates": len(rows)}
