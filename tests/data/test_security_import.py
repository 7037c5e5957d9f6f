"""Attacks on the JSON import and the account export (issue 20, items 1, 4 and 15).

Every import test starts from a file a viewer may download: the guest's export of one account.
"""

import hashlib
import json

import pytest

from kamcore import sessions, store, users
from kamcore.data import portability
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.plan import goals

ADMIN_TOKEN = "planted-token-0123456789"


def counts(db) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in portability.tables(db)}


def guest_file(db):
    """What the guest (a viewer of a few accounts) may download: one account's export, as JSON."""
    guest = users.find_by_username(db, "guest")
    account = db.execute("SELECT t.account_id FROM account_team t JOIN accounts a ON a.id = t.account_id "
                         "WHERE t.user_id = ? AND EXISTS (SELECT 1 FROM goals g WHERE g.account_id = a.id) "
                         "ORDER BY t.account_id LIMIT 1", [guest.id]).fetchone()[0]
    data = portability.from_json(portability.to_json(portability.export_data(db, guest, account)))
    return guest, account, data


def test_a_viewers_export_carries_no_people_sessions_or_company_tables(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    sessions.start(demo_db, li)  # a live session whose hash must not leave
    guest, account, data = guest_file(demo_db)
    text = json.dumps(data)
    for table in ("users", "sign_in_sessions", "settings", "rules", "stages", "playbook_entries"):
        assert table not in data["tables"], table
    hashes = [r[0] for r in demo_db.execute("SELECT token_hash FROM sign_in_sessions").fetchall()]
    assert hashes and not any(h in text for h in hashes)
    assert '"global_role"' not in text
    assert all(row.get("account_id", account) == account for body in data["tables"].values() for row in body["rows"]
               if "account_id" in row)


def test_a_crafted_import_plants_no_session_role_audit_row_or_setting(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    guest, account, data = guest_file(demo_db)
    admin_row = store.row(demo_db, "SELECT * FROM users WHERE id = ?", [admin.id])
    guest_row = store.row(demo_db, "SELECT * FROM users WHERE id = ?", [guest.id])
    data["tables"]["sign_in_sessions"] = {"columns": [], "rows": [{
        "token_hash": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), "user_id": admin.id,
        "created_at": "2026-01-01T00:00:00+00:00", "expires_at": "2099-01-01T00:00:00+00:00"}]}
    data["tables"]["users"] = {"columns": [], "rows": [
        {k: v for k, v in guest_row.items() if k != "password_hash"} | {"global_role": "admin", "version": 999},
        {k: v for k, v in admin_row.items() if k != "password_hash"} | {"active": 0}]}
    data["tables"]["audit_log"]["rows"].append({
        "id": 10**6, "at": "2026-01-01T00:00:00+00:00", "actor_id": admin.id, "account_id": account,
        "entity": "account", "entity_id": account, "action": "update", "field": "notes",
        "old_value": '"x"', "new_value": '"forged by the admin"', "version": 2})
    data["tables"]["settings"] = {"columns": [], "rows": [{"key": "planted", "value": "1"}]}
    before = counts(demo_db)
    plan = portability.plan_import(demo_db, admin, data)
    assert plan.writes == 0 and not plan.changes, "nothing of it is a write"
    assert {t.table: t.skipped for t in plan.tables if t.skipped} == {
        "sign_in_sessions": 1, "users": 2, "audit_log": 1, "settings": 1}
    portability.apply_import(demo_db, admin, data, confirm_newer=True)
    assert counts(demo_db) == before
    assert sessions.resume(demo_db, ADMIN_TOKEN) is None, "no sign-in without a password"
    assert users.get_user(demo_db, guest.id).global_role == guest.global_role
    assert store.row(demo_db, "SELECT active FROM users WHERE id = ?", [admin.id])["active"] == 1
    assert not demo_db.execute("SELECT 1 FROM audit_log WHERE new_value LIKE '%forged%'").fetchone()


def test_a_crafted_import_cannot_change_another_accounts_goal(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    guest, account, data = guest_file(demo_db)
    other = store.row(demo_db, "SELECT * FROM goals WHERE account_id != ? ORDER BY id LIMIT 1", [account])
    data["tables"]["goals"]["rows"].append(other | {"title": "Changed through a guest's file"})
    before = counts(demo_db)
    for attempt in (portability.plan_import, portability.apply_import):
        with pytest.raises(ValidationError) as caught:
            attempt(demo_db, admin, data)
        assert caught.value.problems[0].reason_key == "reason.outside_scope"
        assert "another account" in caught.value.message("en")
    data["scope"] = {"account_id": other["account_id"]}  # moving the scope moves the refusal to the guest's rows
    with pytest.raises(ValidationError):
        portability.apply_import(demo_db, admin, data)
    assert counts(demo_db) == before
    assert goals.ENTITY and store.row(demo_db, "SELECT title FROM goals WHERE id = ?", [other["id"]])["title"] == \
        other["title"]


def test_a_forged_version_does_not_hide_newer_data(demo_db):
    """The newer-data warning compares with the DATABASE's version: a file claiming a higher one still warns."""
    admin = users.find_by_username(demo_db, "admin")
    guest, account, data = guest_file(demo_db)
    row = next(r for r in data["tables"]["goals"]["rows"])
    row.update(title="Overwritten", version=row["version"] + 50)
    plan = portability.plan_import(demo_db, admin, data)
    assert plan.newer_in_db == 1
    change = next(c for c in plan.changes if c.table == "goals")
    assert ("title", store.row(demo_db, "SELECT title FROM goals WHERE id = ?", [row["id"]])["title"],
            "Overwritten") in change.fields, "the preview shows per record what changes"
    with pytest.raises(portability.NeedsConfirmation):
        portability.apply_import(demo_db, admin, data)
    version = store.row(demo_db, "SELECT version FROM goals WHERE id = ?", [row["id"]])["version"]
    portability.apply_import(demo_db, admin, data, confirm_newer=True)
    after = store.row(demo_db, "SELECT title, version FROM goals WHERE id = ?", [row["id"]])
    assert after == {"title": "Overwritten", "version": version + 1}, "the new version follows the database's"


def test_an_import_runs_the_entitys_extra_checks(demo_db):
    """A goal's owner must be on the account's team (goals' extra check), on import as on the page."""
    admin = users.find_by_username(demo_db, "admin")
    guest, account, data = guest_file(demo_db)
    outsider = demo_db.execute("SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM account_team "
                               "WHERE account_id = ?) AND id != ? LIMIT 1", [account, admin.id]).fetchone()[0]
    row = data["tables"]["goals"]["rows"][0]
    row["owner_id"] = outsider
    before = counts(demo_db)
    with pytest.raises(ValidationError):
        portability.apply_import(demo_db, admin, data, confirm_newer=True)
    assert counts(demo_db) == before


def test_only_administrators_import(demo_db):
    guest, account, data = guest_file(demo_db)
    with pytest.raises(PermissionDenied):
        portability.plan_import(demo_db, guest, data)


def test_a_deeply_nested_file_is_refused_clearly():
    raw = b'{"format": "kam-warroom-export", "tables": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ValidationError) as caught:
        portability.from_json(raw)
    assert caught.value.problems[0].reason_key == "reason.too_deep"
    assert "levels" in caught.value.message("en")
    shallow = b'{"a": ' + b"[" * 200 + b"]" * 200 + b"}"
    with pytest.raises(ValidationError) as caught:
        portability.from_json(shallow)
    assert caught.value.problems[0].reason_key == "reason.too_deep"
