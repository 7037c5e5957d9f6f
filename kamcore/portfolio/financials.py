"""Account financials by year (D1): revenue, gross profit, deals, receivables, collection period.

Money is recorded in whole units of the ACCOUNT's currency (`accounts.currency`); totals across
accounts convert at the year's rate (`kamcore.money`), and every screen shows amounts through
`kamcore.money.fmt` with their currency and unit. Figures are typed on screen or imported
from CSV / Excel: the import maps the file's columns to ours, validates every
row, reports each problem by row and field, and commits all rows or none; a file's amounts
are the full amounts, stored as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.data.imports import files
from kamcore.errors import FieldProblem, ValidationError
from kamcore.money_format import Whole
from kamcore.records import Entity, Record
from kamcore.users import User

MONEY_FIELDS = ("revenue", "gross_profit", "receivables_outstanding", "receivables_overdue")
COUNT_FIELDS = ("deals_count", "price_cuts")
# what an import must provide, and what it may
REQUIRED_COLUMNS = ("account", "year", "revenue", "gross_profit")
OPTIONAL_COLUMNS = ("deals_count", "receivables_outstanding", "receivables_overdue", "dso_days", "price_cuts")
IMPORT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


class FinancialsIn(Record):
    """One account's figures for one year."""

    account_id: int
    year: int = Field(ge=1990, le=2100)
    revenue: Whole = Field(ge=0, allow_inf_nan=False)
    gross_profit: Whole = Field(allow_inf_nan=False)
    deals_count: int = Field(default=0, ge=0)
    receivables_outstanding: Whole = Field(default=0, ge=0, allow_inf_nan=False)
    receivables_overdue: Whole = Field(default=0, ge=0, allow_inf_nan=False)
    dso_days: float | None = Field(default=None, ge=0, le=3650, allow_inf_nan=False)
    price_cuts: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> FinancialsIn:
        if self.gross_profit > self.revenue:
            raise PydanticCustomError("reason.profit_above_revenue", "profit above revenue", {"field": "gross_profit"})
        if self.receivables_overdue > self.receivables_outstanding:
            raise PydanticCustomError("reason.overdue_above_outstanding", "overdue above outstanding",
                                      {"field": "receivables_overdue"})
        return self


ENTITY = Entity("financials", "account_financials", FinancialsIn,
                money_fields=dict.fromkeys(MONEY_FIELDS, "account"))


def create_financials(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Record an account's figures for a year (one row per account and year)."""
    return records.create(db, actor, ENTITY, values)


def update_financials(db: Database, actor: User, row_id: int, base_version: int,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """Correct a year's figures, refusing a stale version."""
    return records.update(db, actor, ENTITY, row_id, base_version, changes)


def delete_financials(db: Database, actor: User, row_id: int, base_version: int) -> None:
    """Remove a year's figures."""
    records.delete(db, actor, ENTITY, row_id, base_version)


def get_row(db: Database, row_id: int) -> dict[str, Any]:
    """One year's figures by id, or NotFoundError."""
    return records.get(db, ENTITY, row_id)


def list_financials(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """An account's yearly figures, newest year first, with margin and average deal size."""
    permissions.require_read(db, actor, account_id)
    found = store.rows(db, "SELECT * FROM account_financials WHERE account_id = ? ORDER BY year DESC", [account_id])
    return [with_ratios(r) for r in found]


def with_ratios(row: dict[str, Any]) -> dict[str, Any]:
    """Add margin %, average deal size and overdue share (None where undefined)."""
    revenue = row.get("revenue") or 0
    deals = row.get("deals_count") or 0
    outstanding = row.get("receivables_outstanding") or 0
    return {
        **row,
        "margin_pct": round(100 * row["gross_profit"] / revenue, 2) if revenue else None,
        "avg_deal_size": round(revenue / deals, 2) if deals else None,
        "overdue_pct": round(100 * (row.get("receivables_overdue") or 0) / outstanding, 2) if outstanding else None,
    }


def years(db: Database) -> list[int]:
    """Years that have any figures, newest first."""
    return [r[0] for r in db.execute("SELECT DISTINCT year FROM account_financials ORDER BY year DESC")]


def totals(db: Database, account_ids: list[int], first_year: int, last_year: int) -> dict[int, dict[str, Any]]:
    """Per account, the window's sums (aggregated in SQL) plus the last year's DSO and the yearly revenues."""
    if not account_ids:
        return {}
    marks = ",".join("?" for _ in account_ids)
    found = store.rows(
        db,
        f"""SELECT account_id, sum(revenue) AS revenue, sum(gross_profit) AS gross_profit,
                   sum(deals_count) AS deals_count, sum(price_cuts) AS price_cuts, count(*) AS years,
                   max(revenue) AS best_year_revenue
            FROM account_financials WHERE account_id IN ({marks}) AND year BETWEEN ? AND ?
            GROUP BY account_id""",
        [*account_ids, first_year, last_year],
    )
    out = {r["account_id"]: r for r in found}
    latest = store.rows(
        db,
        f"""SELECT f.account_id, f.year, f.revenue, f.dso_days, f.receivables_outstanding, f.receivables_overdue
            FROM account_financials f
            JOIN (SELECT account_id, max(year) AS year FROM account_financials
                  WHERE account_id IN ({marks}) AND year BETWEEN ? AND ? GROUP BY account_id) m
              ON m.account_id = f.account_id AND m.year = f.year""",
        [*account_ids, first_year, last_year],
    )
    for r in latest:
        out[r["account_id"]]["latest"] = r
    return out


# --- import -------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """The result of checking an import: rows ready to write and every problem found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV or Excel file as a table of text cells, read by the one reader of every import
    (`kamcore.data.imports.files.read_table`: encoding, separator and decimal mark detected, control
    characters refused naming row and column)."""
    return files.read_table(data, filename)


def guess_mapping(columns: list[str]) -> dict[str, str | None]:
    """Our field -> the file's column with the same name (case-insensitive), else None."""
    by_name = {c.strip().lower().replace(" ", "_"): c for c in columns}
    return {f: by_name.get(f) for f in IMPORT_COLUMNS}


def check_import(db: Database, actor: User, frame: pd.DataFrame, mapping: dict[str, str | None]) -> ImportReport:
    """Validate every row of an import; nothing is written here."""
    report = ImportReport()
    for name in REQUIRED_COLUMNS:
        column = mapping.get(name)
        if not column or column not in frame.columns:
            report.problems.append(FieldProblem(name, "reason.missing_column", {"column": column or "—"}))
    for name in OPTIONAL_COLUMNS:
        column = mapping.get(name)
        if column and column not in frame.columns:
            report.problems.append(FieldProblem(name, "reason.missing_column", {"column": column}))
    if report.problems:
        return report
    accounts = {r["name"].strip().lower(): r["id"] for r in store.rows(db, "SELECT id, name FROM accounts")}
    seen: dict[tuple[int, int], int] = {}
    for index, cells in enumerate(frame.to_dict("records")):
        line = index + 2  # the header is line 1, as in a spreadsheet
        values, bad = _row_values(cells, mapping, accounts, line, frame.attrs.get("decimal_mark", files.POINT))
        report.problems.extend(bad)
        if bad:
            continue
        if not permissions.can_edit(db, actor, values["account_id"]):
            report.problems.append(FieldProblem("account", "reason.cannot_edit_account", {}, line))
            continue
        try:
            clean = records.validate(ENTITY, values)
        except ValidationError as exc:
            report.problems.extend(exc.at_row(line))
            continue
        key = (clean["account_id"], clean["year"])
        if key in seen:
            report.problems.append(FieldProblem("year", "reason.duplicate_account_year", {"other": seen[key]}, line))
            continue
        seen[key] = line
        report.rows.append(clean)
    if not frame.shape[0]:
        report.problems.append(FieldProblem("file", "reason.empty_file"))
    return report


def _row_values(cells: dict[str, Any], mapping: dict[str, str | None], accounts: dict[str, int],
                line: int, mark: str | None) -> tuple[dict[str, Any], list[FieldProblem]]:
    values: dict[str, Any] = {}
    bad: list[FieldProblem] = []
    for name in IMPORT_COLUMNS:
        column = mapping.get(name)
        raw = cells.get(column) if column else None
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        if name == "account":
            if not text:
                bad.append(FieldProblem("account", "reason.missing", {}, line))
            elif text.lower() not in accounts:
                bad.append(FieldProblem("account", "reason.unknown_import_account", {"name": text[:60]}, line))
            else:
                values["account_id"] = accounts[text.lower()]
            continue
        if not text:
            if name in REQUIRED_COLUMNS:
                bad.append(FieldProblem(name, "reason.missing", {}, line))
            continue
        number = _number(text, mark)
        if number is None:
            bad.append(FieldProblem(name, "reason.not_a_number", {"value": text[:30]}, line))
        elif name in ("year", *COUNT_FIELDS):
            if number != int(number):
                bad.append(FieldProblem(name, "reason.int_from_float", {}, line))
            else:
                values[name] = int(number)
        else:
            values[name] = number
    return values, bad


def _number(text: str, mark: str | None) -> float | None:
    """A figure under the file's decimal mark (a leading ¥ allowed), or None when it does not read."""
    try:
        value = files.parse_amount(text.replace("¥", ""), mark)
    except ValueError:
        return None
    return None if value is None or not value.is_finite() else float(value)


def commit_import(db: Database, actor: User, report: ImportReport) -> dict[str, int]:
    """Write every checked row (new years created, existing years updated) in one transaction, or none."""
    if report.problems:
        raise ValidationError(report.problems)
    if not report.rows:
        raise ValidationError.single("file", "reason.empty_file")
    created = updated = 0
    with store.transaction(db):
        for values in report.rows:
            existing = store.row(db, "SELECT id, version FROM account_financials WHERE account_id = ? AND year = ?",
                                 [values["account_id"], values["year"]])
            if existing is None:
                records.create(db, actor, ENTITY, values)
                created += 1
            else:
                changes = {k: v for k, v in values.items() if k not in ("account_id", "year")}
                records.update(db, actor, ENTITY, existing["id"], existing["version"], changes)
                updated += 1
    return {"created": created, "updated": updated}
