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
from kamcore.data.imports import files, matching, runs, synonyms
from kamcore.errors import FieldProblem, ValidationError
from kamcore.pipeline.opportunities import OPPORTUNITY, next_number
from kamcore.pipeline.stage_model import CLOSED, list_stages
from kamcore.users import User

# our fields that can be mapped from a column; only the account and the stage are required (D6 moves a
# deal by stage; a product line, an amount, dates and an owner may be unknown and stay blank)
IMPORT_FIELDS = tuple(synonyms.DEALS)
REQUIRED_FIELDS = ("account", "stage")
# what a re-import compares and may change on a deal it imported before (never the account or number)
UPDATABLE = ("product_line_id", "name", "amount", "currency", "opened_on", "expected_close", "stage", "probability",
             "owner_id", "external_owner", "next_step", "competitors", "status", "close_reason", "closed_on", "kind")
_FIELD_OF = {"product_line": ("product_line_id",), "owner": ("owner_id", "external_owner"),
             "stage": ("stage", "kind", "status", "closed_on"), "status": ("status", "closed_on"),
             "closed_on": ("closed_on", "expected_close")}
EXPORT_COLUMNS = ("number", "external_id", "account_name", "name", "product_line_code", "kind", "stage", "status",
                  "amount", "currency", "win_probability", "weighted_amount", "opened_on", "expected_close",
                  "closed_on", "close_reason", "owner_name", "next_step", "competitors")
ENCODINGS = files.ENCODINGS
MAX_ROWS = files.MAX_ROWS
FIRST_DATA_ROW = files.FIRST_DATA_ROW
ImportFileError = files.ImportFileError
read_table = files.read_table
_file_error = files.file_error
NEW, CHANGED = "new", "changed"


@dataclass
class ImportMapping:
    """How a CRM export maps onto our fields.

    columns: our field -> the file's column name (unmapped fields stay blank; a re-import leaves them as
      they are).
    values: our field -> {raw CRM value -> our value}, e.g. {"stage": {"Engaging": "qualify",
      "Won": "won"}, "product_line": {"GTXPro": "GTX Pro"}, "owner": {"Moses Frase": "li.wei"}}.
      A stage value may be a stage key or a close status (won / lost / no_decision). Unmapped raw
      values are matched as they are (stage key or name; product line code or name; account name;
      user name), case-insensitively.
    default_account: the account for rows whose account cell is empty (None: such rows are errors).
    create_accounts / create_product_lines: create what the file names and we lack (admins only).
    closed_from_stage: the stage a closed deal is recorded in when the person picks one (None: the
      first opportunity stage is stored, and no stage history is written: the file did not give it).
    default_opened_on: a rule the user picked for blank opened dates (None: a blank stays blank).
    default_close_reason: a reason the person picked for closed deals without one ("": none is made up).
    default_currency: the file's currency, picked when it has no currency column.
    account_currency: picked instead: each deal in its account's currency.
    decimal_mark: "." or ",", picked when the file is ambiguous (None: the one `read_table` detected).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    default_account: str | None = None
    create_accounts: bool = False
    create_product_lines: bool = False
    closed_from_stage: str | None = None
    default_opened_on: str | None = None
    default_close_reason: str = ""
    default_currency: str | None = None
    account_currency: bool = False
    decimal_mark: str | None = None


@dataclass
class ImportPlan:
    """The validated rows of an import, its problems and warnings, and what it would create and change.

    rows: new deals. changed: deals this war room imported before whose file row differs, with
    `fields` [(field, now, from the file)]. conflicts: such deals edited in the war room since the
    last import (never overwritten). unchanged: how many rows already match. missing: deals imported
    before (by CRM id) that the file no longer has (kept; shown)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[FieldProblem] = field(default_factory=list)
    new_accounts: list[str] = field(default_factory=list)
    new_product_lines: dict[str, str] = field(default_factory=dict)  # code -> name
    external_owners: list[str] = field(default_factory=list)  # file names kept as the deal's external owner
    currencies: dict[str, int] = field(default_factory=dict)  # currency -> rows, shown in the preview
    currency_source: str = ""  # "column", "picked" or "account": how the preview names the currency
    blanks: dict[str, int] = field(default_factory=dict)  # field -> rows left blank (nothing invented)
    filled: dict[str, int] = field(default_factory=dict)  # field -> rows filled by a rule the user picked
    default_account_rows: int = 0  # rows without an account placed on the default account
    changed: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)
    decimal_mark: str | None = None
    decimal_example: str | None = None
    closed_from_picked: bool = False  # the person said which stage closed deals closed from
    token: str = field(default_factory=runs.new_token)  # one commit per preview

    @property
    def ok(self) -> bool:
        return not self.problems

def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A first guess at the column mapping from the one synonym table (`synonyms.DEALS`): our own export,
    Salesforce, HubSpot, Dynamics, Odoo, Twenty, 纷享销客, 销售易 column names."""
    return synonyms.guess(columns, synonyms.DEALS)


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


def _check_mapping(frame: pd.DataFrame, mapping: ImportMapping) -> None:
    """Refuse a mapping that cannot work before any row is read: a required field unmapped, a column the
    file lacks, a field we do not import, one file value mapped to two stages."""
    missing = [f for f in REQUIRED_FIELDS if not mapping.columns.get(f) and not (f == "account" and mapping.default_account)]
    problems = [FieldProblem(f, "reason.column_not_mapped") for f in missing]
    problems += [FieldProblem(ours, "reason.column_missing", {"column": col})
                 for ours, col in mapping.columns.items() if col not in frame.columns]
    problems += [FieldProblem(ours, "reason.not_importable") for ours in mapping.columns if ours not in IMPORT_FIELDS]
    for ours, values in mapping.values.items():
        seen: dict[str, tuple[str, str]] = {}
        for raw, target in values.items():
            folded = _norm(raw)
            if folded in seen and seen[folded][1] != target:
                problems.append(FieldProblem(ours, "reason.value_mapped_twice",
                                             {"value": raw, "first": seen[folded][1], "second": target}))
            seen.setdefault(folded, (raw, target))
    if not mapping.columns.get("currency") and not mapping.default_currency and not mapping.account_currency:
        problems.append(FieldProblem("currency", "reason.currency_not_picked"))
    if mapping.default_currency and mapping.default_currency.upper() not in synonyms.CURRENCY_CODES:
        problems.append(FieldProblem("currency", "reason.unknown_currency", {"value": mapping.default_currency[:10]}))
    if problems:
        raise ValidationError(problems)


def plan_import(db: Database, actor: User, frame: pd.DataFrame, mapping: ImportMapping,
                progress: Callable[[int, int], None] | None = None) -> ImportPlan:
    """Map and validate every row; nothing is written. Problems carry the file row number.

    A row whose CRM id this war room imported before is compared with the deal it became: changed
    (which fields, from what to what), unchanged, or a conflict when the deal was edited here since.
    `progress(done, total)` is called every 1,000 rows and at the end (for a progress bar)."""
    _check_mapping(frame, mapping)
    if (mapping.create_accounts or mapping.create_product_lines) and not actor.is_admin:
        raise ValidationError.single("record", "reason.import_create_admin_only")
    plan = ImportPlan()
    mark = mapping.decimal_mark or frame.attrs.get("decimal_mark", files.POINT if "decimal_mark" not in frame.attrs
                                                    else None)
    if mark is None and mapping.columns.get("amount"):  # the file reads two ways: the person picks first
        raise ValidationError.single("amount", "reason.decimal_mark_needed",
                                     value=str(frame.attrs.get("decimal_example") or "")[:40])
    plan.decimal_mark = mark
    plan.closed_from_picked = bool(mapping.closed_from_stage)
    plan.decimal_example = files.amount_example(frame.attrs.get("decimal_example"), mark)
    plan.currency_source = "column" if mapping.columns.get("currency") else (
        "picked" if mapping.default_currency else "account")

    stages = list_stages(db, active_only=True)
    stage_by = {}
    for s in stages:
        for label in (s["key"], s["name_en"], s["name_zh"]):
            stage_by[_norm(label)] = s
    lead_stage = next((s["key"] for s in stages if s["is_lead"]), None)
    opp_stages = [s for s in stages if not s["is_lead"]]
    closed_in = mapping.closed_from_stage or (opp_stages[0]["key"] if opp_stages else lead_stage)
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
    existing = {r["external_id"]: r for r in store.rows(
        db, "SELECT * FROM opportunities WHERE external_id IS NOT NULL")}
    sources = {r["external_id"]: r for r in store.rows(
        db, "SELECT external_id, record_id, version_seen FROM import_sources WHERE entity = ?", [OPPORTUNITY.name])}
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
        # product line: optional (a blank stays blank)
        line_text = cell(raw, "product_line")
        line_id = line_by.get(_norm(line_text)) if line_text else None
        if not line_text:
            plan.blanks["product_line"] = plan.blanks.get("product_line", 0) + 1
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
            status, stage = _norm(stage_text).replace(" ", "_"), closed_in
        elif _norm(stage_text) in stage_by:
            stage = stage_by[_norm(stage_text)]["key"]
        else:
            bad("stage", "reason.unknown_stage", value=stage_text)
        status_text = _norm(cell(raw, "status")).replace(" ", "_")
        if status_text in CLOSED:
            status = status_text  # the stage column then says the stage it closed in
        elif status_text not in ("", "open"):
            bad("status", "reason.unknown_status", value=cell(raw, "status"))
        # external id
        external = cell(raw, "external_id") or None
        if external is not None:
            if external in seen_ids:
                bad("external_id", "reason.duplicate_in_file", value=external, other=seen_ids[external])
            else:
                seen_ids[external] = number
            if external not in existing and external in sources:
                bad("external_id", "reason.reimport_deleted", value=external)
        # amount (exactly, under the file's decimal mark) and probability
        amount_text = cell(raw, "amount")
        amount: Any = None  # a blank amount stays blank: unknown is not 0
        if amount_text:
            problem = files.amount_problem("amount", amount_text, mark, number)
            if problem is not None:
                row_problems.append(problem)
            else:
                amount = float(files.parse_amount(amount_text, mark))  # type: ignore[arg-type]
        probability_text = cell(raw, "probability").rstrip("%").strip()
        probability: Any = None
        if probability_text:
            try:
                probability = float(files.parse_amount(probability_text, mark))  # type: ignore[arg-type]
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
        if status == "open" and not mapping.columns.get("expected_close") and dates["closed_on"]:
            dates["expected_close"] = dates["closed_on"]  # one "Close Date" column: expected while the deal is open
        if status != "open" and closed_on is None and not row_problems:
            bad("closed_on", "reason.closed_on_required")
        # currency: from its column, or picked (the file's, or each account's); never a silent default
        currency = (cell(raw, "currency") or mapping.default_currency or "").upper()
        if not currency and account is not None:
            currency = account["currency"]  # mapping.account_currency: checked by _check_mapping
        if not currency:
            if not row_problems:  # a new account has no currency of its own yet
                bad("currency", "reason.currency_not_picked")
        elif currency not in synonyms.CURRENCY_CODES:
            bad("currency", "reason.unknown_currency", value=currency[:10])
        # owner
        owner_text = cell(raw, "owner")
        owner_id = user_by.get(_norm(owner_text)) if owner_text else None
        if owner_text and owner_id is None:
            unknown_owners.add(owner_text)
        if row_problems:
            plan.problems += row_problems
            continue
        currencies[currency] += 1
        values = {
            "account_id": account["id"] if account else 0,
            "product_line_id": line_id,
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
        if external is not None and external in existing:
            _compare(plan, mapping, existing[external], sources.get(external), clean, number, bool(line_text))
            continue
        plan.rows.append({"row": number, "values": clean, "account_name": account_name,
                          "line_code": _code_for(line_text) if line_text and not line_id else None,
                          "engaged": dates["opened_on"] is not None})
    in_file = set(seen_ids)
    accounts_in_file = {a["id"] for a in account_by.values() if a["id"] in editable}
    plan.missing = [{"id": r["record_id"], "external_id": x} for x, r in sorted(sources.items())
                    if x not in in_file and x in existing and existing[x]["account_id"] in accounts_in_file]
    plan.external_owners = sorted(unknown_owners, key=str.casefold)
    for owner in plan.external_owners:  # every one of them, not the first 20
        plan.warnings.append(FieldProblem("owner", "reason.owner_kept_external", {"value": owner}))
    plan.currencies = dict(currencies.most_common())
    if progress is not None:
        progress(len(records_list), len(records_list))
    return plan


def _compare(plan: ImportPlan, mapping: ImportMapping, here: dict[str, Any], source: dict[str, Any] | None,
             clean: dict[str, Any], number: int, line_given: bool) -> None:
    """Sort a re-imported row: unchanged, changed (the mapped fields that differ), or a conflict (the deal
    was edited in the war room after the import that last wrote it)."""
    mapped = {f for ours in mapping.columns for f in _FIELD_OF.get(ours, (ours,))} & set(UPDATABLE)
    if mapping.default_opened_on:
        mapped.add("opened_on")
    if not line_given:
        mapped.discard("product_line_id")
    fields = [(f, here.get(f), clean.get(f)) for f in UPDATABLE if f in mapped and _differs(here.get(f), clean.get(f))]
    if here["account_id"] != clean["account_id"] and clean["account_id"]:
        plan.problems.append(FieldProblem("account", "reason.read_only", {}, row=number))
        return
    if not fields:
        plan.unchanged += 1
        return
    item = {"row": number, "id": here["id"], "version": here["version"], "external_id": here["external_id"],
            "number": here["number"], "currency": here["currency"], "fields": fields}
    seen = source["version_seen"] if source else 1
    if here["version"] != seen:
        plan.conflicts.append({**item, "seen": seen})
    else:
        plan.changed.append(item)


def _differs(now: Any, new: Any) -> bool:
    if isinstance(now, int | float) and isinstance(new, int | float):
        return float(now) != float(new)
    return (now if now not in ("",) else None) != (new if new not in ("",) else None)


def commit_import(db: Database, actor: User, plan: ImportPlan) -> int:
    """Write every planned new row and change (or none: a plan with problems is refused). Returns the count.

    A plan commits once: committing the same plan again (a second click, a second tab) writes nothing
    and returns the first count.
    """
    return int(commit_import_once(db, actor, plan)["rows"])


def commit_import_once(db: Database, actor: User, plan: ImportPlan,
                       progress: Callable[[int, int], None] | None = None,
                       apply: tuple[str, ...] = (NEW, CHANGED)) -> dict[str, Any]:
    """`commit_import` with its result: {"rows", "created", "updated", "repeated"} (repeated: this preview was
    committed before). `apply` is what the person chose: new deals, changed deals, or both; conflicts are
    never applied.

    All or nothing for the person, while the writer lock is held per batch (`records.create_many`): new
    deals go in batches of `records.BATCH_ROWS` rows; the changes then go in one transaction that also records the run's
    token. If anything fails after the first batch, every row this import created is deleted again with
    its audit and stage history (`records.undo_created`), so nothing of the import stays; ids stay used.
    `progress(done, total)` is called after every batch (for a progress bar)."""
    if not plan.ok:
        raise ValidationError(plan.problems)
    rows = plan.rows if NEW in apply else []
    changes = plan.changed if CHANGED in apply else []
    if not rows and not changes:
        raise _file_error("reason.file_no_rows")
    earlier = runs.claim(db, actor, plan.token, "deals")
    if earlier is not None:
        return earlier
    created: list[tuple[records.Entity, list[int]]] = []
    try:
        count = _create(db, actor, plan, rows, created, progress)
        with store.transaction(db):
            result = {"rows": count + _update(db, actor, changes), "created": count, "updated": len(changes)}
            runs.finish(db, plan.token, result)
    except BaseException:
        records.undo_created(db, created)
        runs.release(db, plan.token)
        raise
    return {**result, "repeated": False}


def _create(db: Database, actor: User, plan: ImportPlan, rows: list[dict[str, Any]],
            created: list[tuple[records.Entity, list[int]]], progress: Callable[[int, int], None] | None) -> int:
    """The new deals (and the accounts and product lines they need) through `records.create_many`."""
    if not rows:
        return 0
    picked = plan.closed_from_picked
    names = sorted({r["account_name"] for r in rows if not r["values"]["account_id"]})
    account_ids = {}
    if names:  # industry and region unknown: left blank, not made up
        made = records.create_many(db, actor, accounts.ENTITY, [{"name": n} for n in names], undo=created)
        account_ids = dict(zip(names, made, strict=True))
    codes = sorted({r["line_code"] for r in rows if r["line_code"]})
    line_ids = {}
    if codes:
        made = records.create_many(db, actor, product_lines.ENTITY,
                                   [{"code": c, "name": plan.new_product_lines[c][:80]} for c in codes], undo=created)
        line_ids = dict(zip(codes, made, strict=True))
    counters: dict[tuple[int | None, int], tuple[str, int]] = {}
    values_list = []
    for item in rows:
        values = dict(item["values"])
        if not values["account_id"]:
            values["account_id"] = account_ids[item["account_name"]]
        if item["line_code"]:
            values["product_line_id"] = line_ids[item["line_code"]]
        dated = values["opened_on"] or values["closed_on"] or values["expected_close"]
        year = int(dated[:4]) if dated else clock.today().year  # the number only; no date is stored
        key = (values["product_line_id"], year)
        if key not in counters:
            prefix, first = next_number(db, values["product_line_id"], year).rsplit("-", 1)
            counters[key] = (prefix, int(first))
        else:
            counters[key] = (counters[key][0], counters[key][1] + 1)
        values["number"] = f"{counters[key][0]}-{counters[key][1]:03d}"
        values_list.append(values)

    def side_tables(db: Database, batch: list[tuple[int, dict[str, Any]]]) -> None:
        # an open deal entered the pipeline when the file says it was opened; a deal imported closed has a
        # stage history only when the person said which stage such deals closed from (closed_from_stage):
        # the file alone does not say from which stage it moved
        moves = []
        for i, v in batch:
            if v["opened_on"] and (v["status"] == "open" or picked):
                moves.append((i, v["account_id"], None, v["stage"], v["opened_on"]))
            if v["status"] != "open" and picked:
                moves.append((i, v["account_id"], v["stage"], v["status"], v["closed_on"]))
        db.conn.executemany(
            "INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, moved_by) "
            "VALUES (?, ?, ?, ?, ?, ?)", [(*m, actor.id) for m in moves])
        _remember(db, plan.token, [(v["external_id"], i, 1) for i, v in batch if v["external_id"]])

    made = records.create_many(db, actor, OPPORTUNITY, values_list, after_batch=side_tables, undo=created,
                               progress=progress)
    return len(made)


def _update(db: Database, actor: User, changes: list[dict[str, Any]]) -> int:
    """The changed deals, each on the version the preview saw (a deal edited since is a ConflictError)."""
    for item in changes:
        updated = records.update(db, actor, OPPORTUNITY, item["id"], item["version"],
                                 {f: new for f, _, new in item["fields"]})
        moved = {f: (old, new) for f, old, new in item["fields"] if f in ("stage", "status")}
        if moved:  # the re-import saw the move now: dated now, as a move made on the screen would be
            before = moved.get("status", moved.get("stage"))
            db.conn.execute(
                "INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, moved_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [item["id"], updated["account_id"], before[0], before[1], clock.now_iso(), actor.id])
        _remember(db, None, [(item["external_id"], item["id"], updated["version"])])
    return len(changes)


def _remember(db: Database, token: str | None, seen: list[tuple[str, int, int]]) -> None:
    """Record which deal each CRM id became and the version this import left it at."""
    db.conn.executemany(
        "INSERT INTO import_sources (entity, external_id, record_id, version_seen, imported_at, token) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (entity, external_id) DO UPDATE SET record_id = excluded.record_id, "
        "version_seen = excluded.version_seen, imported_at = excluded.imported_at",
        [(OPPORTUNITY.name, x, i, v, clock.now_iso(), token) for x, i, v in seen])


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
    """For each file value, the target it most likely means, or None: for stages by meaning first
    (`synonyms.stage_by_meaning`: closed won / customer / 赢单 -> won, a known CRM's open stages in their
    order), then as for every field exact, same letters, or difflib-close. The person confirms each."""
    targets = value_targets(db, ours, lang)
    by_label = {label: key for key, label in targets.items()}
    meaning: dict[str, str | None] = {}
    if ours == "stage":
        stages = list_stages(db, active_only=True)
        opens = [s["key"] for s in stages if not s["is_lead"]]
        leads = [s["key"] for s in stages if s["is_lead"]]
        meaning = {raw: synonyms.stage_by_meaning(raw, opens, leads) for raw in raw_values}
    out: dict[str, str | None] = {}
    for raw in raw_values:
        close = matching.suggest(raw, list(targets)) or by_label.get(matching.suggest(raw, list(by_label)) or "")
        out[raw] = close or meaning.get(raw)
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
