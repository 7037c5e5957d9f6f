"""Issue 28, items 2–6, 11 and 12: every write decides who may before anything else, on every path."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, time

import pytest

from kamcore import audit, clock, records, signoffs, store, users
from kamcore.data import backups, portability
from kamcore.decision_chain import stakeholders
from kamcore.errors import ConflictError, KamError, NotFoundError, PermissionDenied, ValidationError
from kamcore.huddle import huddles
from kamcore.plan import baselines
from kamcore.rhythm import entries
from tests.conftest import DEMO_DAY, account_id


@pytest.fixture
def demo(demo_db, demo_path):
    with clock.at(datetime.combine(DEMO_DAY, time(10), tzinfo=UTC)):
        who = {name: users.find_by_username(demo_db, name)
               for name in ("admin", "guest", "li.wei", "zhang.min", "wang.fang", "chen.jie", "zhao.lei")}
        yield demo_db, who, {n: account_id(demo_path, n) for n in ("Huaxin Semiconductor", "Jiangnan Power Grid")}


def fingerprint(db) -> dict[str, tuple[int, int, int]]:
    """Every table's row count, max(version) and a hash of its rows: a refusal must leave all of them as they were."""
    out = {}
    for table in portability.tables(db):
        rows = db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
        cols = {c.name for c in portability.columns(db, table)}
        top = db.execute(f"SELECT max(version) FROM [{table}]").fetchone()[0] if "version" in cols else 0
        out[table] = (len(rows), top or 0, hash(tuple(map(tuple, rows))))
    return out


# ---- item 3: the permission before the version ----------------------------------------------------------


def test_a_stale_version_from_someone_who_may_not_write_is_a_permission_error_not_the_rows_changes(demo):
    db, who, acc = demo
    person = db.execute("SELECT id, version FROM stakeholders WHERE account_id = ? AND version > 1 LIMIT 1",
                        [acc["Huaxin Semiconductor"]]).fetchone()
    assert person is not None
    for actor in (who["guest"], who["chen.jie"], who["zhao.lei"]):  # cannot read / reads only / other team
        for write in (lambda a: records.update(db, a, stakeholders.ENTITY, person[0], 1, {"notes": "x"}),
                      lambda a: records.delete(db, a, stakeholders.ENTITY, person[0], 1),
                      lambda a: records.redact(db, a, stakeholders.ENTITY, person[0], 1,
                                               sorted(stakeholders.ENTITY.private_fields)[:1])):
            with pytest.raises(KamError) as caught:
                write(actor)
            assert not isinstance(caught.value, ConflictError), (actor.username, caught.value)
            assert isinstance(caught.value, PermissionDenied | NotFoundError)


def test_the_team_still_gets_the_conflict_with_who_changed_what(demo):
    db, who, acc = demo
    person = db.execute("SELECT id FROM stakeholders WHERE account_id = ? AND version > 1 LIMIT 1",
                        [acc["Huaxin Semiconductor"]]).fetchone()
    with pytest.raises(ConflictError) as caught:
        records.update(db, who["li.wei"], stakeholders.ENTITY, person[0], 1, {"notes": "x"})
    assert caught.value.changes


# ---- item 4: sign-offs --------------------------------------------------------------------------------


def test_nobody_signs_or_withdraws_for_others_or_on_accounts_they_cannot_read(demo):
    db, who, acc = demo
    retro = 1  # Huaxin's final retrospective, reviewed by chen.jie, agreed by the team
    before = fingerprint(db)
    with pytest.raises(KamError):
        signoffs.withdraw_all(db, who["guest"], "retrospective", retro, "agree")
    with pytest.raises(KamError):
        signoffs.withdraw_all(db, who["guest"], "retrospective", retro, "review")
    with pytest.raises(KamError):
        signoffs.sign(db, who["guest"], "retrospective", retro, "review")
    with pytest.raises(KamError):  # forged in li.wei's name
        records.create(db, who["guest"], signoffs.SIGNOFF, {
            "entity": "retrospective", "entity_id": retro, "purpose": "agree",
            "account_id": acc["Huaxin Semiconductor"], "user_id": who["li.wei"].id, "signed_at": clock.now_iso()})
    with pytest.raises(PermissionDenied):  # a team member, but in someone else's name
        records.create(db, who["zhang.min"], signoffs.SIGNOFF, {
            "entity": "retrospective", "entity_id": retro, "purpose": "review",
            "account_id": acc["Huaxin Semiconductor"], "user_id": who["chen.jie"].id, "signed_at": clock.now_iso()})
    with pytest.raises(PermissionDenied):  # in their own name, but only the named reviewer signs the review
        records.create(db, who["zhang.min"], signoffs.SIGNOFF, {
            "entity": "retrospective", "entity_id": retro, "purpose": "review",
            "account_id": acc["Huaxin Semiconductor"], "user_id": who["zhang.min"].id, "signed_at": clock.now_iso()})
    one = db.execute("SELECT id, version FROM signoffs WHERE entity = 'retrospective' AND user_id = ?",
                     [who["wang.fang"].id]).fetchone()
    with pytest.raises(KamError):
        records.delete(db, who["zhang.min"], signoffs.SIGNOFF, one[0], one[1])
    assert fingerprint(db) == before


# ---- item 5: personal rhythm entries, huddle remarks -------------------------------------------------


def _entry(db, author, kind):
    return store.row(db, "SELECT * FROM rhythm_entries WHERE author_id = ? AND kind = ? LIMIT 1", [author.id, kind])


def test_rhythm_entries_are_changed_only_by_their_author_on_every_path(demo):
    db, who, _ = demo
    plan, log = _entry(db, who["li.wei"], "monthly_plan"), _entry(db, who["zhang.min"], "daily_log")
    before = fingerprint(db)
    with pytest.raises(PermissionDenied):
        records.delete(db, who["guest"], entries.ENTRY, plan["id"], plan["version"])
    with pytest.raises(PermissionDenied):  # the lead reviews, but does not rewrite the log
        records.update(db, who["chen.jie"], entries.ENTRY, log["id"], log["version"], {"body": "overwritten"})
    with pytest.raises(PermissionDenied):  # the author does not review their own entry
        records.update(db, who["zhang.min"], entries.ENTRY, log["id"], log["version"], {"review_status": "reviewed"})
    assert fingerprint(db) == before
    records.update(db, who["li.wei"], entries.ENTRY, plan["id"], plan["version"], {"body": "My plan, rewritten"})
    changed = db.execute("SELECT id FROM audit_log WHERE entity = 'rhythm_entry' AND entity_id = ? "
                         "AND field = 'body' ORDER BY id DESC LIMIT 1", [plan["id"]]).fetchone()[0]
    version = audit.current_version(db, "rhythm_entry", plan["id"])
    for stranger in (who["guest"], who["chen.jie"], who["zhang.min"]):
        rows = [{**store.row(db, "SELECT * FROM audit_log WHERE id = ?", [changed])}]
        rows[0]["old_value"] = records.decode(rows[0]["old_value"])
        assert audit.restorable(db, stranger, rows) == [], "History offers only what this person may do"
        snapshot = fingerprint(db)
        with pytest.raises(PermissionDenied):
            audit.restore(db, stranger, changed, version)
        assert fingerprint(db) == snapshot
    assert audit.restore(db, who["li.wei"], changed, version)["body"] != "My plan, rewritten"


def test_a_remark_is_changed_or_removed_by_its_author_only(demo):
    db, who, _ = demo
    remark = store.row(db, "SELECT * FROM huddle_remarks WHERE author_id = ?", [who["wang.fang"].id])
    before = fingerprint(db)
    with pytest.raises(PermissionDenied):
        records.delete(db, who["chen.jie"], huddles.REMARK, remark["id"], remark["version"])
    with pytest.raises(PermissionDenied):
        records.update(db, who["li.wei"], huddles.REMARK, remark["id"], remark["version"], {"text": "not mine"})
    assert fingerprint(db) == before
    records.update(db, who["wang.fang"], huddles.REMARK, remark["id"], remark["version"], {"text": "mine, clearer"})


# ---- item 6: other people's daily logs -----------------------------------------------------------------


def test_other_peoples_daily_logs_leak_neither_through_history_nor_the_export(demo):
    db, who, acc = demo
    jiangnan = acc["Jiangnan Power Grid"]
    theirs = {r[0] for r in db.execute("SELECT id FROM rhythm_entries WHERE account_id = ?", [jiangnan])}
    assert theirs and all(entries.get_entry(db, who["guest"], e) is None for e in theirs)
    shown = audit.history(db, who["guest"], jiangnan, limit=10_000)
    assert not [r for r in shown if r["entity"] == "rhythm_entry"]
    assert audit.count_history(db, who["guest"], jiangnan) == len(shown)
    assert "rhythm_entry" not in audit.history_facets(db, who["guest"], jiangnan)["entities"]
    assert not [r for r in audit.changes_since(db, who["guest"], [jiangnan], "2000-01-01")
                if r["entity"] == "rhythm_entry"]
    exported = portability.export_data(db, who["guest"], jiangnan)["tables"]
    assert exported["rhythm_entries"]["rows"] == []
    assert not [r for r in exported["audit_log"]["rows"] if r["entity"] == "rhythm_entry"]
    lead = portability.export_data(db, who["chen.jie"], jiangnan)["tables"]  # a lead still sees the team's
    assert {r["id"] for r in lead["rhythm_entries"]["rows"]} == theirs


# ---- item 2: imports never write roles, team membership or sign-offs --------------------------------------


def test_an_import_never_changes_a_role_team_membership_or_a_sign_off(demo):
    db, who, acc = demo
    jiangnan = acc["Jiangnan Power Grid"]
    data = portability.export_data(db, who["guest"], jiangnan)
    edited = copy.deepcopy(data)
    for row in edited["tables"]["account_team"]["rows"]:
        if row["user_id"] == who["guest"].id:
            row["role"] = "account_manager"
    edited["tables"]["account_team"]["rows"].append({**edited["tables"]["account_team"]["rows"][0], "id": 9999,
                                                     "user_id": who["zhang.min"].id, "role": "solution_manager",
                                                     "first_responsible": 0})
    edited["tables"]["signoffs"]["rows"].append({
        "id": 9999, "entity": "retrospective", "entity_id": 1, "purpose": "review", "account_id": jiangnan,
        "user_id": who["guest"].id, "comment": "", "signed_at": clock.now_iso(), "version": 1,
        "created_at": clock.now_iso(), "updated_at": clock.now_iso(), "updated_by": who["guest"].id})
    before = fingerprint(db)
    portability.apply_import(db, who["admin"], edited, confirm_newer=True)
    assert fingerprint(db)["account_team"] == before["account_team"]
    assert fingerprint(db)["signoffs"] == before["signoffs"]
    assert records.REGISTRY["team_member"].table not in {c.table for c in
                                                         portability.plan_import(db, who["admin"], edited).changes}


# ---- item 11: nesting and NaN ---------------------------------------------------------------------------


def test_apply_import_refuses_deep_nesting_and_nan_from_a_direct_caller(demo):
    db, who, acc = demo
    data = portability.export_data(db, who["admin"], acc["Jiangnan Power Grid"])
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    nested = copy.deepcopy(data)
    nested["tables"]["accounts"]["rows"][0]["attributes"] = deep
    before = fingerprint(db)
    with pytest.raises(ValidationError):
        portability.apply_import(db, who["admin"], nested)
    not_a_number = copy.deepcopy(data)
    not_a_number["tables"]["account_financials"]["rows"][0]["revenue"] = math.nan
    with pytest.raises(ValidationError) as caught:
        portability.apply_import(db, who["admin"], not_a_number)
    assert caught.value.problems[0].reason_key == "reason.not_finite"
    with pytest.raises(ValidationError):
        portability.from_json(b'{"format": "kam-warroom-export", "x": NaN}')
    assert fingerprint(db) == before


# ---- item 12: bounded, unspoofable text ------------------------------------------------------------------


def test_a_megabyte_in_a_moment_or_a_snapshot_is_refused(demo):
    db, who, acc = demo
    huaxin = acc["Huaxin Semiconductor"]
    huge = "9" * 1_000_000
    before = fingerprint(db)
    cases = [
        (signoffs.SIGNOFF, {"entity": "retrospective", "entity_id": 1, "purpose": "agree", "account_id": huaxin,
                            "user_id": who["li.wei"].id, "signed_at": huge}, "signed_at", who["li.wei"]),
        (entries.ENTRY, {"author_id": who["li.wei"].id, "kind": "daily_log", "period_start": "2026-11-20",
                         "body": "x", "submitted_at": huge}, "submitted_at", who["li.wei"]),
        (baselines.ENTITY, {"account_id": huaxin, "name": "Q4", "approved_on": "2026-11-20",
                            "snapshot": "[" + "1," * 500_000 + "1]"}, "snapshot",
         who["li.wei"]),
    ]
    for entity, values, field, actor in cases:
        model_fields = entity.model.model_fields
        values = {k: v for k, v in values.items() if k in model_fields}
        for name, info in model_fields.items():  # the other required fields, at their defaults
            if name not in values and info.is_required():
                values[name] = 1 if "int" in str(info.annotation) else "x"
        with pytest.raises(ValidationError) as caught:
            records.create(db, actor, entity, values)
        assert caught.value.problems[0].field == field
        assert caught.value.problems[0].reason_key == "reason.too_long_text"
    assert fingerprint(db) == before


@pytest.mark.parametrize("mark", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_a_text_direction_override_in_a_name_is_refused_naming_the_field(demo, mark):
    db, who, acc = demo
    with pytest.raises(ValidationError) as caught:
        stakeholders.create_stakeholder(db, who["li.wei"], acc["Huaxin Semiconductor"], {"name": f"Wang{mark}gnaW"})
    assert (caught.value.problems[0].field, caught.value.problems[0].reason_key) == ("name", "reason.bidi_control")


def test_a_backup_label_is_a_safe_name_or_refused_naming_the_field(demo, tmp_path):
    db, who, _ = demo
    folder = tmp_path / "backups"
    folder.mkdir()
    for label in ("../../escape", "a/b", "x.db", "with space", "x" * 41):
        with pytest.raises(ValidationError) as caught:
            backups.create_backup(db, who["admin"], folder, label=label)
        assert caught.value.problems[0].field == "label"
    assert list(folder.iterdir()) == [] and not (tmp_path.parent / "escape.db").exists()
    made = backups.create_backup(db, who["admin"], folder, label="before-import_2")
    assert made.parent == folder and made.name.endswith("-before-import_2.db")
