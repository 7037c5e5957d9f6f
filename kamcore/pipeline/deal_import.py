"""CSV / Excel import of opportunities from a CRM export, and export of the deal list.

The import runs in two steps, so a user sees every problem before anything is written:

1. `read_table(data, filename, encoding)` turns the uploaded bytes into text columns,
   refusing an empty file, undecodable text or an unreadable workbook with one clear message;
2. `plan_import(db, actor, frame, mapping)` maps CRM columns to our fields (and raw CRM
   values such as "Engaging" or "GTXPro" to our stages and product lines), validates every
   row and returns an `ImportPlan` with the per-row problems, warnings and what it would
   create;
3. `commit_import(db, actor, plan)` writes it all in one transaction — or nothing when
   any row has a problem (`ValidationError` listing each row and field).

Imported deals keep their CRM dates: `opened_on` and the stage history are dated from the
file, so pipeline analytics work on imported history. Amounts are stored as the file gives
them, in whole units of the deal's currency (a `close_value` of 1054 is USD 1,054), and an
export writes them back the same way. Every row is audited like a hand-made one.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlite_utils import Database

from kamcore import accounts, clock, permissions, product_lines, records, store
from kamcore.data.imports import files, matching, runs
from kamcore.errors import FieldProblem, ValidationError
from kamcore.pipeline.opportunities import OPPORTUNITY, next_number
from kamcore.pipeline.stage_model import CLOSED, list_stages
from kamcore.users import User

# our fields that can be mapped from a column; the first three are required
IMPORT_FIELDS = ("account", "product_line", "stage", "external_id", "name", "amount", "currency", "opened_on",
                 "expected_close", "closed_on", "close_reason", "probability", "owner", "next_step", "competitors",
                 "status")
REQUIRED_FIELDS = ("account", "product_line", "stage")
EXPORT_COLUMNS = ("number", "external_id", "account_name", "name", "product_line_code", "kind", "stage", "status",
                  "amount", "currency", "win_probability", "weighted_amount", "opened_on", "expected_close",
                  "closed_on", "close_reason", "owner_name", "next_step", "competitors")
ENCODINGS = files.ENCODINGS
MAX_ROWS = files.MAX_ROWS
FIRST_DATA_ROW = files.FIRST_DATA_ROW
ImportFileError = files.ImportFileError
read_table = files.read_table
_file_error = files.file_error


@dataclass
class ImportMapping:
    """How a CRM export maps onto our fields.

    columns: our field -> the file's column name (unmapped fields take defaults).
    values: our field -> {raw CRM value -> our value}, e.g. {"stage": {"Engaging": "qualify",
      "Won": "won"}, "product_line": {"GTXPro": "GTX Pro"}, "owner": {"Moses Frase": "li.wei"}}.
      A stage value may be a stage key or a close status (won / lost / no_decision). Unmapped raw
      values are matched as they are (stage key or name; product line code or name; account name;
      user name), case-insensitively.
    default_account: the account for rows whose account cell is empty (None: such rows are errors).
    create_accounts / create_product_lines: create what the file names and we lack (admins only).
    closed_from_stage: the stage a closed deal is recorded as having closed from.
    default_opened_on: a rule the user picked for blank opened dates (None: a blank stays blank).
    default_close_reason: the reason recorded for closed deals without one.
    default_currency: the file's currency when it has no currency column (None: each account's).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    default_account: str | None = None
    create_accounts: bool = False
    create_product_lines: bool = False
    closed_from_stage: str | None = None
    default_opened_on: str | None = None
    default_close_reason: str = "Imported from CRM"
    default_currency: str | None = None


@dataclass
class ImportPlan:
    """The validated rows of an import, its problems and warnings, and what it would create."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[FieldProblem] = field(default_factory=list)
    new_accounts: list[str] = field(default_factory=list)
    new_product_lines: dict[str, str] = field(default_factory=dict)  # code -> name
    external_owners: list[str] = field(default_factory=list)  # file names kept as the deal's external owner
    currencies: dict[str, int] = field(default_factory=dict)  # currency -> rows, shown in the preview
    blanks: dict[str, int] = field(default_factory=dict)  # field -> rows left blank (nothing invented)
    filled: dict[str, int] = field(default_factory=dict)  # field -> rows filled by a rule the user picked
    default_account_rows: int = 0  # rows without an account placed on the default account
    token: str = field(default_factory=runs.new_token)  # one commit per preview

    @property
    def ok(self) -> bool:
        return not self.problems

def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A first guess at the column mapping: exact or close names (e.g. our own export, or 'deal_stage')."""
    synonyms = {
        "account": ("account", "account_name", "customer", "客户"),
        "product_line": ("product_line", "product_line_code", "product", "产品线"),
        "stage": ("stage", "deal_stage", "阶段"),
        "external_id": ("external_id", "opportunity_id", "id", "deal_id"),
        "name": ("name", "opportunity_name", "deal_name"),
        "amount": ("amount", "close_value", "value", "金额"),
        "currency": ("currency",),
        "opened_on": ("opened_on", "engage_date", "created", "created_date"),
        "expected_close": ("expected_close", "expected_close_date"),
        "closed_on": ("closed_on", "close_date"),
        "close_reason": ("close_reason",),
        "probability": ("probability",),
        "owner": ("owner", "owner_name", "sales_agent"),
        "next_step": ("next_step",),
        "competitors": ("competitors",),
        "status": ("status",),
    }
    lowered = {c.lower().strip(): c for c in columns}
    out = {}
    for ours, names in synonyms.items():
        for name in names:
            if name in lowered:
                out[ours] = lowered[name]
                break
    return out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


def _code_for(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name.strip()).strip("-").upper()[:20] or "LINE"


def _parse_day(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def plan_import(db: Database, actor: User, frame: pd.DataFrame, mapping: ImportMapping,
                progress: Callable[[int, int], None] | None = None) -> ImportPlan:
    """Map and validate every row; nothing is written. Problems carry the file row number.

    `progress(done, total)` is called every 1,000 rows and at the end (for a progress bar)."""
    plan = ImportPlan()
    missing = [f for f in REQUIRED_FIELDS if not mapping.columns.get(f) and not (f == "account" and mapping.default_account)]
    problems = [FieldProblem(f, "reason.column_not_mapped") for f in missing]
    problems += [FieldProblem(ours, "reason.column_missing", {"column": col})
                 for ours, col in mapping.columns.items() if col not in frame.columns]
    problems += [FieldProblem(ours, "reason.not_importable") for ours in mapping.columns if ours not in IMPORT_FIELDS]
    if problems:
        raise ValidationError(problems)
    if (mapping.create_accounts or mapping.create_product_lines) and not actor.is_admin:
        raise ValidationError.single("record", "reason.import_create_admin_only")

    stages = list_stages(db, active_only=True)
    stage_by = {}
    for s in stages:
        for label in (s["key"], s["name_en"], s["name_zh"]):
            stage_by[_norm(label)] = s
    lead_stage = next((s["key"] for s in stages if s["is_lead"]), None)
    opp_stages = [s for s in stages if not s["is_lead"]]
    closed_from = mapping.closed_from_stage or (opp_stages[0]["key"] if opp_stages else lead_stage)
    line_by = {}
    for line in product_lines.list_product_lines(db):
        line_by[_norm(line["code"])] = line["id"]
        line_by[_norm(line["name"])] = line["id"]
    account_rows = store.rows(db, "SELECT id, name, currency FROM accounts")
    account_by = {_norm(a["name"]): a for a in account_rows}
    editable = {a["id"] for a in account_rows if permissions.can_edit(db, actor, a["id"])}
    user_by = {}
    for uid, username, display in db.execute("SELECT id, username, display_name FROM users").fetchall():
        user_by[_norm(username)] = uid
        user_by[_norm(display)] = uid
    existing_ids = {r[0] for r in db.execute("SELECT external_id FROM opportunities WHERE external_id IS NOT NULL")}
    seen_ids: dict[str, int] = {}
    opened_rule = _parse_day(mapping.default_opened_on or "")
    unknown_owners: set[str] = set()
    currencies: Counter[str] = Counter()
    values_map = {f: {_norm(k): v for k, v in m.items()} for f, m in mapping.values.items()}

    def cell(raw: dict[str, str], ours: str) -> str:
        column = mapping.columns.get(ours)
        text = (raw.get(column) or "").strip() if column else ""
        mapped = values_map.get(ours, {}).get(_norm(text)) if text else None
        return mapped if mapped is not None else text

    records_list = frame.to_dict("records")
    for index, raw in enumerate(records_list):
        number = index + FIRST_DATA_ROW
        if progress is not None and index % 1000 == 0:
            progress(index, len(records_list))
        row_problems: list[FieldProblem] = []

        def bad(field_name: str, reason: str, number: int = number, row_problems=row_problems, **params: Any) -> None:
            row_problems.append(FieldProblem(field_name, reason, params, row=number))

        # account
        account_name = cell(raw, "account")
        if not account_name and mapping.default_account:
            account_name = mapping.default_account
            plan.default_account_rows += 1
        account = account_by.get(_norm(account_name)) if account_name else None
        if not account_name:
            bad("account", "reason.missing")
        elif account is None and not mapping.create_accounts:
            bad("account", "reason.import_unknown_account", value=account_name)
        elif account is None:
            if account_name not in plan.new_accounts:
                plan.new_accounts.append(account_name)
        elif account["id"] not in editable:
            bad("account", "reason.account_not_editable", value=account_name)
        # product line
        line_text = cell(raw, "product_line")
        line_id = line_by.get(_norm(line_text)) if line_text else None
        if not line_text:
            bad("product_line", "reason.missing")
        elif line_id is None:
            if mapping.create_product_lines:
                code = _code_for(line_text)
                plan.new_product_lines.setdefault(code, line_text)
            else:
                bad("product_line", "reason.unknown_product_line", value=line_text)
        # stage or status
        stage_text = cell(raw, "stage")
        status, stage = "open", None
        if not stage_text:
            bad("stage", "reason.missing")
        elif _norm(stage_text) in {_norm(c) for c in CLOSED} | {"no decision"}:
            status, stage = _norm(stage_text).replace(" ", "_"), closed_from
        elif _norm(stage_text) in stage_by:
            stage = stage_by[_norm(stage_text)]["key"]
        else:
            bad("stage", "reason.unknown_stage", value=stage_text)
        status_text = _norm(cell(raw, "status")).replace(" ", "_")
        if status_text in CLOSED:
            status = status_text
        elif status_text not in ("", "open"):
            bad("status", "reason.unknown_status", value=cell(raw, "status"))
        # external id
        external = cell(raw, "external_id") or None
        if external is not None:
            if external in seen_ids:
                bad("external_id", "reason.duplicate_in_file", value=external, other=seen_ids[external])
            elif external in existing_ids:
                bad("external_id", "reason.already_imported", value=external)
            else:
                seen_ids[external] = number
        # amount and probability
        amount_text = cell(raw, "amount").replace(",", "")
        amount: Any = None  # a blank amount stays blank: unknown is not 0
        if amount_text:
            try:
                amount = float(amount_text)
            except ValueError:
                bad("amount", "reason.float_parsing")
                amount = None
        probability_text = cell(raw, "probability").rstrip("%").strip()
        probability: Any = None
        if probability_text:
            try:
                probability = float(probability_text)
                probability = int(probability) if probability.is_integer() else probability
            except ValueError:
                bad("probability", "reason.int_parsing")
        # dates
        dates: dict[str, str | None] = {}
        for name in ("opened_on", "expected_close", "closed_on"):
            text = cell(raw, name)
            dates[name] = _parse_day(text)
            if text and dates[name] is None:
                bad(name, "reason.date_parsing")
        opened = dates["opened_on"]
        if opened is None and opened_rule:
            opened = opened_rule
            plan.filled["opened_on"] = plan.filled.get("opened_on", 0) + 1
        elif opened is None:
            plan.blanks["opened_on"] = plan.blanks.get("opened_on", 0) + 1
        if amount is None and not amount_text:
            plan.blanks["amount"] = plan.blanks.get("amount", 0) + 1
        closed_on = dates["closed_on"] if status != "open" else None
        if status != "open" and closed_on is None and not row_problems:
            bad("closed_on", "reason.closed_on_required")
        # owner
        owner_text = cell(raw, "owner")
        owner_id = user_by.get(_norm(owner_text)) if owner_text else None
        if owner_text and owner_id is None:
            unknown_owners.add(owner_text)
        if row_problems:
            plan.problems += row_problems
            continue
        currency = (cell(raw, "currency") or mapping.default_currency or (account["currency"] if account else "")
                    or "CNY").upper()
        currencies[currency] += 1
        values = {
            "account_id": account["id"] if account else 0,
            "product_line_id": line_id or 0,
            "number": "PENDING",
            "external_id": external,
            "name": cell(raw, "name") or " · ".join(x for x in (line_text, account_name, external) if x),
            "kind": "lead" if stage == lead_stage else "opportunity",
            "amount": amount,
            "currency": currency,
            "opened_on": opened,
            "expected_close": dates["expected_close"],
            "stage": stage,
            "probability": probability,
            "owner_id": owner_id,
            "external_owner": owner_text if owner_id is None else "",
            "next_step": cell(raw, "next_step"),
            "competitors": cell(raw, "competitors"),
            "status": status,
            "close_reason": (cell(raw, "close_reason") or mapping.default_close_reason) if status != "open" else "",
            "closed_on": closed_on,
        }
        try:
            clean = records.validate(OPPORTUNITY, values)
        except ValidationError as exc:
            plan.problems += exc.at_row(number)
            continue
        plan.rows.append({"row": number, "values": clean, "account_name": account_name,
                          "line_code": None if line_id else _code_for(line_text),
                          "engaged": dates["opened_on"] is not None})
    plan.external_owners = sorted(unknown_owners, key=str.casefold)
    for owner in plan.external_owners:  # every one of them, not the first 20
        plan.warnings.append(FieldProblem("owner", "reason.owner_kept_external", {"value": owner}))
    plan.currencies = dict(currencies.most_common())
    if progress is not None:
        progress(len(records_list), len(records_list))
    return plan


def commit_import(db: Database, actor: User, plan: ImportPlan) -> int:
    """Write every planned row in one transaction (or none: a plan with problems is refused). Returns the count.

    A plan commits once: committing the same plan again (a second click, a second tab) writes nothing
    and returns the first count.
    """
    return int(commit_import_once(db, actor, plan)["rows"])


def commit_import_once(db: Database, actor: User, plan: ImportPlan,
                       progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """`commit_import` with its result: {"rows", "repeated"} (repeated: this preview was committed before).

    `progress(done, total)` is called every few hundred rows (for a progress bar)."""
    if not plan.ok:
        raise ValidationError(plan.problems)
    if not plan.rows:
        raise _file_error("reason.file_no_rows")
    return runs.commit_once(db, actor, plan.token, "deals", lambda: {"rows": _write(db, actor, plan, progress)})


def _write(db: Database, actor: User, plan: ImportPlan, progress: Callable[[int, int], None] | None = None) -> int:
    with store.transaction(db):
        account_ids = {}
        for name in plan.new_accounts:  # industry and region unknown: said so, not made up
            created = accounts.create_account(db, actor, {"name": name, "industry": "—", "region": "—"})
            account_ids[name] = created["id"]
        line_ids = {}
        for code, name in plan.new_product_lines.items():
            created = product_lines.create_product_line(db, actor, {"code": code, "name": name[:80]})
            line_ids[code] = created["id"]
        checked: set[int] = set()
        counters: dict[tuple[int, int], tuple[str, int]] = {}
        now = clock.now_iso()
        for done, item in enumerate(plan.rows):
            if progress is not None and done % 250 == 0:
                progress(done, len(plan.rows))
            values = dict(item["values"])
            if not values["account_id"]:
                values["account_id"] = account_ids[item["account_name"]]
            if not values["product_line_id"]:
                values["product_line_id"] = line_ids[item["line_code"]]
            if values["account_id"] not in checked:
                permissions.require_edit(db, actor, values["account_id"])
                checked.add(values["account_id"])
            dated = values["opened_on"] or values["closed_on"] or values["expected_close"]
            year = int(dated[:4]) if dated else clock.today().year  # the number only; no date is stored
            key = (values["product_line_id"], year)
            if key not in counters:
                prefix, first = next_number(db, values["product_line_id"], year).rsplit("-", 1)
                counters[key] = (prefix, int(first))
            else:
                counters[key] = (counters[key][0], counters[key][1] + 1)
            values["number"] = f"{counters[key][0]}-{counters[key][1]:03d}"
            row = {**values, "version": 1, "created_at": now, "updated_at": now, "updated_by": actor.id}
            cols = ", ".join(f"[{c}]" for c in row)
            cur = db.conn.execute(f"INSERT INTO opportunities ({cols}) VALUES ({', '.join('?' for _ in row)})",
                                  list(row.values()))
            row_id = cur.lastrowid
            records.write_audit(db, actor, OPPORTUNITY, row_id, values["account_id"], "create",
                                ((f, None, v) for f, v in values.items()), 1)
            # the move into the first stage is dated by the file; without a date there is no such row
            history = [(None, values["stage"], values["opened_on"])] if values["opened_on"] else []
            if values["status"] != "open":
                history.append((values["stage"], values["status"], values["closed_on"]))
            db.conn.executemany(
                "INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, moved_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(row_id, values["account_id"], f, t, at, actor.id) for f, t, at in history],
            )
        if progress is not None:
            progress(len(plan.rows), len(plan.rows))
    return len(plan.rows)


# ---------------------------------------------------------------- export


def export_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The deal list as a table with stable English column names (re-importable with `guess_mapping`)."""
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS)) if rows else pd.DataFrame(columns=list(EXPORT_COLUMNS))
    return frame.rename(columns={"account_name": "account", "product_line_code": "product_line",
                                 "owner_name": "owner", "win_probability": "probability_pct"})



def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a UTF-8 byte-order mark, so Excel opens Chinese text correctly; formulas neutralised."""
    return files.safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel_bytes(frame: pd.DataFrame, sheet: str = "Opportunities") -> bytes:
    """An .xlsx workbook of the table."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        files.safe_frame(frame).to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()


@dataclass
class DealExport:
    """One account's deals as CSV and Excel, ready to download."""

    account_id: int
    count: int
    csv: bytes
    xlsx: bytes
    stem: str


def export_deals(db: Database, actor: User, account_id: int,
                 progress: Callable[[int, int], None] | None = None) -> DealExport:
    """Read one account's deals (anyone who can read it) and write them as CSV and Excel, in three steps
    reported as `progress(step, 3)`."""
    from kamcore.pipeline import opportunities

    rows = opportunities.list_opportunities(db, actor, account_id, limit=-1)  # SQLite: LIMIT -1 is all of them
    if progress is not None:
        progress(1, 3)
    frame = export_frame(rows)
    as_csv = to_csv_bytes(frame)
    if progress is not None:
        progress(2, 3)
    as_xlsx = to_excel_bytes(frame)
    if progress is not None:
        progress(3, 3)
    return DealExport(account_id, len(rows), as_csv, as_xlsx,
                      f"opportunities-{account_id}-{clock.today().isoformat()}")


# ---------------------------------------------------------------- value mapping and results


VALUE_FIELDS = ("stage", "product_line", "owner", "currency", "account", "status")


def distinct_values(frame: pd.DataFrame, column: str, limit: int = 200) -> list[str]:
    """The different non-blank values of a column, most frequent first (the ones a user maps)."""
    counts = Counter(v.strip() for v in frame[column].astype(str) if v.strip())
    return [v for v, _ in counts.most_common(limit)]


def value_targets(db: Database, ours: str, lang: str = "en") -> dict[str, str]:
    """What a file value can map to for one of our fields: {stored value -> label a user reads}."""
    from kamcore.i18n import choice_label

    if ours == "stage":
        out = {s["key"]: s["name_zh" if lang == "zh" else "name_en"] for s in list_stages(db, active_only=True)}
        out.update({c: choice_label("opp_status", c, lang) for c in CLOSED})
        return out
    if ours == "product_line":
        return {p["name"]: f"{p['name']} ({p['code']})" for p in product_lines.list_product_lines(db)}
    if ours == "owner":
        return {u: d for u, d in db.execute("SELECT username, display_name FROM users WHERE active = 1 "
                                            "ORDER BY display_name").fetchall()}
    if ours == "account":
        return {n: n for (n,) in db.execute("SELECT name FROM accounts ORDER BY name").fetchall()}
    if ours == "status":
        return {c: choice_label("opp_status", c, lang) for c in ("open", *CLOSED)}
    return {}


def suggest_values(db: Database, ours: str, raw_values: list[str], lang: str = "en") -> dict[str, str | None]:
    """For each file value, the target it most likely means (exact, same letters, or difflib-close), or None."""
    targets = value_targets(db, ours, lang)
    out: dict[str, str | None] = {}
    for raw in raw_values:
        by_label = {label: key for key, label in targets.items()}
        hit = matching.suggest(raw, list(targets)) or by_label.get(matching.suggest(raw, list(by_label)) or "")
        out[raw] = hit
    return out


def won_by_account(db: Database, account_ids: list[int], limit: int = 3) -> list[dict[str, Any]]:
    """The accounts with the highest won value (per currency), for the check after an import."""
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    return store.rows(db, f"""SELECT a.name AS account, o.currency, count(*) AS won, sum(o.amount) AS won_value
                              FROM opportunities o JOIN accounts a ON a.id = o.account_id
                              WHERE o.status = 'won' AND o.account_id IN ({marks})
                              GROUP BY o.account_id, o.currency ORDER BY won_value DESC LIMIT ?""",
                      [*account_ids, limit])


def external_owners(db: Database, account_ids: list[int]) -> list[dict[str, Any]]:
    """CRM owners kept by name (not users here), with how many deals each holds."""
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    return store.rows(db, f"""SELECT external_owner AS owner, count(*) AS deals FROM opportunities
                              WHERE external_owner <> '' AND account_id IN ({marks})
                              GROUP BY external_owner ORDER BY external_owner""", account_ids)
