"""The shared write path: versions, conflicts that name who changed what, audit rows, validation."""

import pytest

from kamcore import accounts, audit, passwords, records, team, users
from kamcore.errors import ConflictError, NotFoundError, ValidationError


@pytest.fixture
def setup(fresh_db, admin):
    am = users.create_user(fresh_db, admin, "li.wei", "Li Wei", "password-1")
    sm = users.create_user(fresh_db, admin, "zhang.min", "Zhang Min", "password-1")
    account = accounts.create_account(fresh_db, admin, {"name": "Huaxin", "industry": "Semi", "region": "East"})
    team.add_member(fresh_db, admin, account["id"], am.id, "account_manager", first_responsible=True)
    team.add_member(fresh_db, admin, account["id"], sm.id, "solution_manager")
    return fresh_db, am, sm, account


def audit_rows(db, entity, entity_id):
    return db.execute(
        "SELECT action, field, old_value, new_value, version, actor_id FROM audit_log "
        "WHERE entity = ? AND entity_id = ? ORDER BY id", [entity, entity_id]
    ).fetchall()


def test_create_starts_at_version_one_and_audits_every_field(setup):
    db, _, _, account = setup
    assert account["version"] == 1
    rows = audit_rows(db, "account", account["id"])
    assert {r[1] for r in rows} == {"name", "industry", "region", "currency", "status", "notes", "attributes"}
    assert all(r[0] == "create" and r[4] == 1 for r in rows)


def test_update_bumps_the_version_and_audits_only_changed_fields(setup):
    db, am, _, account = setup
    updated = accounts.update_account(db, am, account["id"], 1, {"notes": "Met the CIO", "region": "East"})
    assert updated["version"] == 2
    assert updated["updated_by"] == am.id
    rows = [r for r in audit_rows(db, "account", account["id"]) if r[0] == "update"]
    assert rows == [("update", "notes", '""', '"Met the CIO"', 2, am.id)]


def test_update_with_no_real_change_keeps_the_version(setup):
    db, am, _, account = setup
    same = accounts.update_account(db, am, account["id"], 1, {"name": "Huaxin"})
    assert same["version"] == 1


def test_second_writer_on_the_same_version_gets_a_conflict_naming_the_first(setup):
    db, am, sm, account = setup
    accounts.update_account(db, am, account["id"], 1, {"notes": "first"})
    with pytest.raises(ConflictError) as caught:
        accounts.update_account(db, sm, account["id"], 1, {"notes": "second"})
    conflict = caught.value
    assert conflict.current_version == 2
    assert [(c.actor, c.field, c.old, c.new) for c in conflict.changes] == [("Li Wei", "notes", "", "first")]
    assert "Li Wei" in conflict.message("en") and "Notes" in conflict.message("en")
    assert "Li Wei" in conflict.message("zh") and "备注" in conflict.message("zh")
    assert accounts.get_account(db, am, account["id"])["notes"] == "first"  # nothing overwritten


def test_a_conflict_writes_no_audit_rows(setup):
    db, am, sm, account = setup
    accounts.update_account(db, am, account["id"], 1, {"notes": "first"})
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(ConflictError):
        accounts.update_account(db, sm, account["id"], 1, {"notes": "second"})
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_writing_to_a_deleted_row_is_a_conflict_saying_it_was_deleted(setup):
    db, am, _, account = setup
    member = team.list_team(db, am, account["id"])[1]
    admin = users.get_user(db, 1)
    team.remove_member(db, admin, member["id"], member["version"])
    with pytest.raises(ConflictError) as caught:
        team.change_member(db, admin, member["id"], member["version"], {"role": "viewer"})
    assert "deleted" in caught.value.message("en")


def test_validation_names_each_bad_field_and_writes_nothing(setup):
    db, am, _, account = setup
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        accounts.update_account(db, am, account["id"], 1, {"name": "  ", "currency": "yuan", "notes": "x" * 5000})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "currency", "notes"}
    assert "Name" in caught.value.message("en")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    assert accounts.get_account(db, am, account["id"])["version"] == 1


def test_unknown_status_is_refused_with_the_allowed_values(setup):
    db, am, _, account = setup
    with pytest.raises(ValidationError) as caught:
        accounts.update_account(db, am, account["id"], 1, {"status": "great"})
    assert "prospect" in caught.value.message("en")


def test_bookkeeping_fields_cannot_be_written(setup):
    db, am, _, account = setup
    with pytest.raises(ValidationError):
        accounts.update_account(db, am, account["id"], 1, {"version": 99})
    with pytest.raises(ValidationError):
        accounts.update_account(db, am, account["id"], 1, {"colour": "red"})


def test_duplicate_account_name_is_a_validation_error(setup):
    db, _, _, _ = setup
    admin = users.get_user(db, 1)
    with pytest.raises(ValidationError) as caught:
        accounts.create_account(db, admin, {"name": "huaxin", "industry": "Semi", "region": "East"})
    assert caught.value.problems[0].field == "name"


def test_missing_account_id_is_not_found(setup):
    db, am, _, _ = setup
    with pytest.raises(NotFoundError):
        accounts.update_account(db, am, 9999, 1, {"notes": "x"})


def test_restore_puts_back_the_earlier_value_and_is_itself_audited(setup):
    db, am, sm, account = setup
    accounts.update_account(db, am, account["id"], 1, {"notes": "good"})
    accounts.update_account(db, sm, account["id"], 2, {"notes": "bad"})
    bad_change = audit.history(db, am, account["id"], entity="account")[0]
    restored = audit.restore(db, am, bad_change["id"], base_version=3)
    assert restored["notes"] == "good" and restored["version"] == 4
    assert audit.history(db, am, account["id"])[0]["action"] == "restore"


def test_restore_on_a_stale_version_is_a_conflict(setup):
    db, am, sm, account = setup
    accounts.update_account(db, am, account["id"], 1, {"notes": "good"})
    change = audit.history(db, am, account["id"], entity="account")[0]
    accounts.update_account(db, sm, account["id"], 2, {"region": "North"})
    with pytest.raises(ConflictError):
        audit.restore(db, am, change["id"], base_version=2)


def test_password_hashes_never_reach_the_audit_log(fresh_db, admin):
    user = users.create_user(fresh_db, admin, "x.y", "X Y", "password-1")
    passwords.reset_password(fresh_db, admin, user.id, "password-2")
    values = fresh_db.execute(
        "SELECT old_value, new_value FROM audit_log WHERE field = 'password_hash'"
    ).fetchall()
    assert values and all(v in (None, records.HIDDEN) for pair in values for v in pair)


def test_history_filters_by_person_entity_and_date(setup):
    db, am, sm, account = setup
    accounts.update_account(db, am, account["id"], 1, {"notes": "a"})
    accounts.update_account(db, sm, account["id"], 2, {"notes": "b"})
    by_sm = audit.history(db, am, account["id"], actor_id=sm.id)
    assert [r["new_value"] for r in by_sm] == ["b"]
    assert all(r["entity"] == "team_member" for r in audit.history(db, am, account["id"], entity="team_member"))
    assert audit.history(db, am, account["id"], since="2999-01-01") == []
    assert audit.count_history(db, am, account["id"], entity="account") == 9  # 7 fields at create (m014 attributes) + 2


def test_a_deleted_rows_id_is_never_reused(setup):
    db, am, _, account = setup
    admin = users.get_user(db, 1)
    member = team.list_team(db, am, account["id"])[1]
    team.remove_member(db, admin, member["id"], member["version"])
    again = team.add_member(db, admin, account["id"], member["user_id"], "solution_manager")
    assert again["id"] > member["id"]


def test_history_cannot_restore_a_stage_around_the_stage_rules(demo_db):
    entry = demo_db.execute(
        "SELECT id, entity_id, account_id FROM audit_log WHERE entity = 'opportunity' AND field = 'stage' "
        "AND action = 'update' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    li = users.find_by_username(demo_db, "admin")
    version = audit.current_version(demo_db, "opportunity", entry[1])
    with pytest.raises(ValidationError) as caught:
        audit.restore(demo_db, li, entry[0], version)
    assert "stage move" in caught.value.message("en")


def test_deleting_a_deal_audits_the_rows_that_go_with_it(demo_db):
    from kamcore.pipeline import opportunities

    deal_id, version = demo_db.execute(
        "SELECT o.id, o.version FROM opportunities o WHERE EXISTS (SELECT 1 FROM needs n WHERE n.opportunity_id = o.id)"
        " AND EXISTS (SELECT 1 FROM competitors c WHERE c.opportunity_id = o.id) LIMIT 1"
    ).fetchone()
    needs = [r[0] for r in demo_db.execute("SELECT id FROM needs WHERE opportunity_id = ?", [deal_id])]
    admin = users.find_by_username(demo_db, "admin")
    opportunities.delete_opportunity(demo_db, admin, deal_id, version)
    deleted = {r[0] for r in demo_db.execute(
        "SELECT entity_id FROM audit_log WHERE entity = 'need' AND action = 'delete'")}
    assert set(needs) <= deleted
    assert demo_db.execute("SELECT count(*) FROM competitors WHERE opportunity_id = ?", [deal_id]).fetchone()[0] == 0
