"""Fuzzed input over the feature write paths: goals, opportunities, stakeholders and the CRM importer.

Same property as tests/test_fuzz_writes.py: success, or a clean KamError that
leaves the database content unchanged. The modules are imported directly: a rename fails here loudly.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kamcore.data import portability
from kamcore.decision_chain import stakeholders
from kamcore.errors import KamError
from kamcore.pipeline import deal_import as importer
from kamcore.pipeline import opportunities
from kamcore.plan import goals
from kamcore.portfolio import financials
from tests.core.test_fuzz_writes import FUZZ, SCALARS, _someone, clean_or_unchanged, fuzz_path, opened, records_for

__all__ = ["fuzz_path"]  # the fixture, re-exported for pytest


def _first(db, sql, params=()):
    found = db.execute(sql, list(params)).fetchone()
    return found[0] if found else None


@FUZZ
@given(data=st.data(), who=st.sampled_from(["admin", "li.wei", "guest"]))
def test_goals_from_any_dict(fuzz_path, data, who):
    fields = list(goals.GoalIn.model_fields)
    with opened(fuzz_path) as db:
        owner = _first(db, "SELECT user_id FROM account_team WHERE account_id = 1 AND role = 'account_manager'")
        base = {"account_id": 1, "year": 2026, "quadrant": "financial", "metric": "revenue", "target": 1e6,
                "owner_id": owner, "split_am": 100, "split_sm": 0, "split_dm": 0}
        values = data.draw(records_for(fields, base))
        actor = _someone(db, who)
        clean_or_unchanged(db, lambda: goals.create_goal(db, actor, values))
        row = db.execute("SELECT id, version FROM goals ORDER BY id DESC LIMIT 1").fetchone()
        if row:
            changes = data.draw(records_for(fields))
            clean_or_unchanged(db, lambda: goals.update_goal(db, actor, row[0], row[1], changes))


@FUZZ
@given(data=st.data(), who=st.sampled_from(["admin", "li.wei", "guest"]),
       action=st.sampled_from(["update", "move", "close", "reopen", "delete"]))
def test_opportunities_from_any_dict(fuzz_path, data, who, action):
    fields = list(opportunities.OpportunityIn.model_fields)
    with opened(fuzz_path) as db:
        actor = _someone(db, who)
        account = data.draw(st.sampled_from([1, 1, 1, 0, 10**6, 2**63, -(2**64), "1", "x", None]))
        base = {"account_id": account, "product_line_id": 1, "name": "Fuzz deal", "amount": 1000.0}
        values = data.draw(records_for(fields, base))
        clean_or_unchanged(db, lambda: opportunities.create_opportunity(db, actor, values))
        row = db.execute("SELECT id, version FROM opportunities ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return
        version = data.draw(st.one_of(st.just(row[1]), st.integers(-2, 2**64)))
        if action == "update":
            changes = data.draw(records_for(fields))
            clean_or_unchanged(db, lambda: opportunities.update_opportunity(db, actor, row[0], version, changes))
        elif action == "move":
            stage = data.draw(st.one_of(SCALARS, st.sampled_from(["lead", "qualify", "needs", "negotiation"])))
            clean_or_unchanged(db, lambda: opportunities.move_stage(db, actor, row[0], version, stage))
        elif action == "close":
            status, reason = data.draw(SCALARS), data.draw(SCALARS)
            clean_or_unchanged(db, lambda: opportunities.close_opportunity(db, actor, row[0], version, status, reason))
        elif action == "reopen":
            clean_or_unchanged(db, lambda: opportunities.reopen_opportunity(db, actor, row[0], version))
        else:
            clean_or_unchanged(db, lambda: opportunities.delete_opportunity(db, actor, row[0], version))


@FUZZ
@given(data=st.data(), who=st.sampled_from(["admin", "li.wei", "guest", "chen.jie"]))
def test_stakeholders_from_any_dict(fuzz_path, data, who):
    fields = list(stakeholders.StakeholderIn.model_fields)
    with opened(fuzz_path) as db:
        actor = _someone(db, who)
        base = {"account_id": 1, "name": "<img src=x onerror=alert(1)> href", "level": "decision"}
        values = data.draw(records_for(fields, base))
        account = data.draw(st.sampled_from([1, 1, 1, 0, -1, 10**6, 2**63, "1", None]))
        clean_or_unchanged(db, lambda: stakeholders.create_stakeholder(db, actor, account, values))
        row = db.execute("SELECT id, version FROM stakeholders ORDER BY id DESC LIMIT 1").fetchone()
        if row:
            changes = data.draw(records_for(fields))
            clean_or_unchanged(db, lambda: stakeholders.update_stakeholder(db, actor, row[0], row[1], changes))


CSV_CELLS = st.one_of(SCALARS.map(lambda v: "" if v is None else str(v)),
                      st.sampled_from(["Huaxin Semiconductor", "CORE", "Core network", "qualify", "Won", "lost",
                                       "2026-01-15", "15/01/2026", "1,000,000", "-5", "=cmd|' /C calc'!A0"]))


@FUZZ
@given(data=st.data(), raw=st.binary(max_size=300), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt", "x"]),
       encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
def test_importer_from_any_file_and_mapping(fuzz_path, data, raw, name, encoding):
    with opened(fuzz_path) as db:
        actor = _someone(db, data.draw(st.sampled_from(["admin", "li.wei"])))
        header = ["Account", "Product", "Stage", "Amount", "Opened", "Status", "Deal"]
        rows = data.draw(st.lists(st.lists(CSV_CELLS, min_size=7, max_size=7), max_size=5))
        text = "\n".join(",".join(f'"{c}"' for c in line) for line in [header, *rows])
        payload = data.draw(st.sampled_from([raw, text.encode("utf-8", "replace")]))
        try:
            frame = importer.read_table(payload, name, encoding)
        except KamError:
            return
        mapping = importer.ImportMapping(
            columns=data.draw(st.dictionaries(st.sampled_from([*importer.IMPORT_FIELDS, "bogus"]),
                                              st.sampled_from([*header, "Nope"]), max_size=8)),
            default_account=data.draw(st.sampled_from([None, "Huaxin Semiconductor", "Nobody Ltd"])),
            create_accounts=data.draw(st.booleans()), create_product_lines=data.draw(st.booleans()))
        plan = clean_or_unchanged(db, lambda: importer.plan_import(db, actor, frame, mapping))
        if isinstance(plan, importer.ImportPlan):
            clean_or_unchanged(db, lambda: importer.commit_import(db, actor, plan))


@FUZZ
@given(data=st.data(), raw=st.binary(max_size=200), name=st.sampled_from(["f.csv", "f.xlsx"]))
def test_financials_import_from_any_file_and_mapping(fuzz_path, data, raw, name):
    with opened(fuzz_path) as db:
        actor = _someone(db, data.draw(st.sampled_from(["admin", "li.wei"])))
        header = ["account", "year", "revenue", "gross_profit", "extra"]
        rows = data.draw(st.lists(st.lists(CSV_CELLS, min_size=5, max_size=5), max_size=4))
        text = "\n".join(",".join(f'"{c}"' for c in line) for line in [header, *rows])
        payload = data.draw(st.sampled_from([raw, text.encode("utf-8", "replace")]))
        try:
            frame = financials.read_table(payload, name)
        except KamError:
            return
        mapping = data.draw(st.one_of(st.just(financials.guess_mapping(list(frame.columns))),
                                      st.dictionaries(st.sampled_from(list(financials.IMPORT_COLUMNS)),
                                                      st.sampled_from([*header, None, "nope"]))))
        report = clean_or_unchanged(db, lambda: financials.check_import(db, actor, frame, mapping))
        if isinstance(report, financials.ImportReport):
            clean_or_unchanged(db, lambda: financials.commit_import(db, actor, report))


JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                       max_leaves=12)


@FUZZ
@given(data=st.data())
def test_backup_import_from_any_json(fuzz_path, data):
    with opened(fuzz_path) as db:
        admin = _someone(db)
        exported = portability.export_data(db, admin)
        table = data.draw(st.sampled_from(sorted(exported["tables"])))
        body = exported["tables"][table]
        mutated = dict(exported, tables={table: dict(body, rows=[
            {**row, **data.draw(st.dictionaries(st.sampled_from([*row, "bogus"]), SCALARS, max_size=2))}
            for row in body["rows"][:3]])})
        payload = data.draw(st.one_of(st.just(mutated), JSONISH.map(lambda j: {"tables": j}), JSONISH))
        raw = portability.to_json(payload) if isinstance(payload, dict) else b"[1, 2"
        try:
            parsed = portability.from_json(raw)
        except KamError:
            return
        confirm = data.draw(st.booleans())
        clean_or_unchanged(db, lambda: portability.apply_import(db, admin, parsed, confirm_newer=confirm))
