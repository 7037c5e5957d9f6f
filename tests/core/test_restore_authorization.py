"""History → Restore runs each entity's own authorization (issue 20, item 6).

A viewer or an executive may comment, but cannot rewrite another person's comment through a restore;
rules and playbook entries keep their owner checks (built-in rules: administrators only).
"""

import pytest

from kamcore import audit, comments, records, store, users
from kamcore.errors import NotFoundError, PermissionDenied
from kamcore.learning import playbook, rules


def person(db, name):
    return users.find_by_username(db, name)


def last_update(db, entity: str, entity_id: int) -> dict:
    row = store.row(db, "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? AND action = 'update' "
                        "ORDER BY id DESC LIMIT 1", [entity, entity_id])
    return row


def jiangnan(db) -> int:
    return db.execute("SELECT id FROM accounts WHERE name = 'Jiangnan Power Grid'").fetchone()[0]


@pytest.mark.parametrize("intruder", ["chen.jie", "guest", "zhang.min"])
def test_nobody_but_the_author_restores_a_comment(demo_db, intruder):
    li = person(demo_db, "li.wei")
    account = jiangnan(demo_db)
    note = comments.add_comment(demo_db, li, "account", account, "First words")
    comments.edit_comment(demo_db, li, note["id"], note["version"], "What I meant")
    change = last_update(demo_db, "comment", note["id"])
    other = person(demo_db, intruder)
    shown = audit.history(demo_db, other, account, entity="comment") if intruder != "zhang.min" else []
    assert not audit.restorable(demo_db, other, [r for r in shown if r["id"] == change["id"]]), \
        "History offers no restore button"
    with pytest.raises((PermissionDenied, NotFoundError)):  # an outsider is told the account is not found
        audit.restore(demo_db, other, change["id"], base_version=2)
    assert records.get(demo_db, comments.ENTITY, note["id"])["body"] == "What I meant"
    restored = audit.restore(demo_db, li, change["id"], base_version=2)  # the author still can
    assert restored["body"] == "First words"


def test_a_built_in_rule_is_restored_by_administrators_only(demo_db):
    admin, li = person(demo_db, "admin"), person(demo_db, "li.wei")
    rule = store.row(demo_db, "SELECT * FROM rules WHERE builtin = 1 ORDER BY id LIMIT 1")
    changed = rules.update_rule(demo_db, admin, rule["id"], rule["version"], {"name": "Renamed by admin"})
    change = last_update(demo_db, "rule", rule["id"])
    assert not audit.restorable(demo_db, li, [dict(change)])
    with pytest.raises(PermissionDenied):
        audit.restore(demo_db, li, change["id"], base_version=changed["version"])
    assert rules.get_rule(demo_db, rule["id"])["name"] == "Renamed by admin"
    assert audit.restore(demo_db, admin, change["id"], base_version=changed["version"])["name"] == rule["name"]


def test_someone_elses_rule_and_playbook_entry_are_not_restored_by_another_editor(demo_db):
    li, zhang = person(demo_db, "li.wei"), person(demo_db, "zhang.min")
    rule = store.row(demo_db, "SELECT * FROM rules WHERE builtin = 0 AND owner_id IS NOT NULL ORDER BY id LIMIT 1")
    owner = users.get_user(demo_db, rule["owner_id"])
    other = zhang if owner.id != zhang.id else li
    changed = rules.update_rule(demo_db, owner, rule["id"], rule["version"], {"name": "Owner's new name"})
    change = last_update(demo_db, "rule", rule["id"])
    with pytest.raises(PermissionDenied):
        audit.restore(demo_db, other, change["id"], base_version=changed["version"])
    assert rules.get_rule(demo_db, rule["id"])["name"] == "Owner's new name"

    entry = records.create(demo_db, li, playbook.ENTITY, {"title": "Map the tender centre", "practice": "Early.",
                                                          "dimension": "relationship", "owner_id": li.id})
    edited = playbook.update_entry(demo_db, li, entry["id"], 1, {"title": "Map the tender centre first"})
    change = last_update(demo_db, "playbook_entry", entry["id"])
    assert not audit.restorable(demo_db, zhang, [dict(change)])
    with pytest.raises(PermissionDenied):
        audit.restore(demo_db, zhang, change["id"], base_version=edited["version"])
    with pytest.raises(PermissionDenied):  # and no entry can be written in someone else's name
        records.create(demo_db, zhang, playbook.ENTITY, {"title": "Forged", "practice": "x",
                                                         "dimension": "relationship", "owner_id": li.id})
    assert audit.restore(demo_db, li, change["id"], base_version=edited["version"])["title"] == \
        "Map the tender centre"
