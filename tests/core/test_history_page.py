"""The History page: filters and restoring an earlier value."""

from kamcore import accounts, store, users
from tests.conftest import account_id, signed_in_app


def test_history_lists_the_demo_changes_and_filters_by_person(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
    assert not at.exception
    assert len(at.dataframe[0].value) > 5
    zhang = users.find_by_username(store.connect(demo_path), "zhang.min").id
    at.selectbox(key="history.person").select(zhang).run()
    whos = set(at.dataframe[0].value["Who"])
    assert whos == {"Zhang Min"}


def test_restore_from_history_puts_the_old_value_back(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    row = accounts.get_account(db, li, account)
    accounts.update_account(db, li, account, row["version"], {"notes": "oops"})
    at = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
    next(b for b in at.button if b.label.startswith("Restore")).click().run()
    assert not at.exception
    assert accounts.get_account(db, li, account)["notes"] == row["notes"]
    assert any("Restored" in s.value for s in at.success)


def test_restore_after_someone_else_changed_it_is_a_conflict(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    db = store.connect(demo_path)
    li = users.find_by_username(db, "li.wei")
    zhang = users.find_by_username(db, "zhang.min")
    row = accounts.get_account(db, li, account)
    accounts.update_account(db, li, account, row["version"], {"notes": "oops"})
    at = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
    accounts.update_account(db, zhang, account, row["version"] + 1, {"notes": "zhang was here"})
    next(b for b in at.button if b.label.startswith("Restore")).click().run()
    assert any("Zhang Min" in e.value for e in at.error)
    assert accounts.get_account(db, li, account)["notes"] == "zhang was here"


def test_from_after_to_is_explained(demo_path):
    import datetime

    account = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/history.py", account)
    at.date_input(key="history.from").set_value(datetime.date(2026, 11, 1))
    at.date_input(key="history.to").set_value(datetime.date(2026, 10, 1)).run()
    assert any("after" in e.value for e in at.error)


def test_every_restore_history_offers_is_accepted_by_audit(demo_db):
    """History and audit.restore share one rule: an offered restore is never refused as not restorable."""
    from kamcore import audit, users
    from kamcore.errors import ValidationError

    li = users.find_by_username(demo_db, "li.wei")
    account = demo_db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    rows = audit.history(demo_db, li, account)
    offered = audit.restorable(demo_db, li, rows)
    assert offered and len(offered) < len(rows), "the demo history has both kinds of row"
    refused = []
    for row in offered[:25]:
        try:
            audit.restore(demo_db, li, row["id"], audit.current_version(demo_db, row["entity"], row["entity_id"]))
        except ValidationError as exc:
            if any(p.reason_key.startswith("reason.not_restorable") for p in exc.problems):
                refused.append(row["id"])
    assert refused == []
