"""Take your data with you: JSON / Excel export, import with validation, dry run and newer-data protection."""

import json

import pytest

from kamcore import accounts, records, store, users
from kamcore.data import portability
from kamcore.data.portability import NeedsConfirmation
from kamcore.errors import ValidationError

STAMPS = {"created_at", "updated_at", "at"}


def snapshot(db) -> dict[str, dict[tuple, dict]]:
    """Every table's rows by key (minus secrets and personal fields, which an export leaves out)."""
    private = portability.private_columns()
    out = {}
    for table in portability.tables(db):
        cols = portability.columns(db, table)
        skip = set(portability.SECRET_COLUMNS.get(table, ())) | set(private.get(table, ()))
        keys = portability.key_columns(cols)
        out[table] = {tuple(row[k] for k in keys): {c: v for c, v in row.items() if c not in skip}
                      for row in store.rows(db, f"SELECT * FROM [{table}]")}
    return out


def fresh(tmp_path, name="fresh.db"):
    return store.connect(tmp_path / name)


def with_people_of(source, target, tables=("users",)) -> None:
    """An import never creates users or account teams (roles and membership are set by an administrator on
    the Admin page): the test sets the same people (and, given `tables`, the same accounts and teams) up in
    the target first, as an administrator would."""
    target.conn.execute("PRAGMA foreign_keys = OFF")
    for table in tables:
        for row in store.rows(source, f"SELECT * FROM [{table}]"):
            cols = ", ".join(f"[{c}]" for c in row)
            target.conn.execute(f"INSERT OR REPLACE INTO [{table}] ({cols}) VALUES ({', '.join('?' for _ in row)})",
                                list(row.values()))
    target.conn.execute("PRAGMA foreign_keys = ON")


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_full_export_round_trips_every_record_into_a_fresh_database(demo_db, tmp_path, fmt):
    data = portability.export_data(demo_db, users.SYSTEM)
    target = fresh(tmp_path)
    with_people_of(demo_db, target, ("users", "accounts", "account_team"))
    raw = portability.to_json(data) if fmt == "json" else portability.to_xlsx(data)
    loaded = portability.from_json(raw) if fmt == "json" else portability.from_xlsx(raw, target)
    never = {t: target.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in portability.tables(target)
             if portability.importable(t) is None and t != "audit_log"}
    audit_before = target.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    admin = users.find_by_username(target, "admin")  # a person: rhythm entries refuse the nameless system
    plan = portability.apply_import(target, admin, loaded)
    assert plan.writes > 1000
    assert len(plan.changes) == plan.writes, "the preview names every record it writes"
    before, after = snapshot(demo_db), snapshot(target)
    content = STAMPS | {"version", "updated_by"}
    for table, rows in before.items():
        if portability.importable(table) is None:
            continue
        assert set(after[table]) == set(rows), table
        for key, row in rows.items():
            assert {c: v for c, v in after[table][key].items() if c not in content} == \
                {c: v for c, v in row.items() if c not in content}, (table, key)
    for table, count in never.items():  # sessions, settings, histories: never written by an import
        assert target.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] == count, table
    assert target.execute("SELECT count(*) FROM audit_log WHERE actor_id IS NOT ?", [admin.id]).fetchone()[0] \
        == audit_before, "the file's audit rows are not copied: the only new history is the import's own"
    assert portability.plan_import(target, admin, loaded).writes == 0, "a second import changes nothing"


def test_password_hashes_never_leave_and_users_are_never_imported(demo_db, tmp_path):
    data = portability.export_data(demo_db, users.SYSTEM)
    assert "password_hash" not in data["tables"]["users"]["columns"]
    assert "argon2" not in portability.to_json(data).decode()
    target = fresh(tmp_path)
    people = target.execute("SELECT count(*) FROM users").fetchone()[0]
    with pytest.raises(ValidationError):  # the records point to people the target does not have
        portability.apply_import(target, users.SYSTEM, data)
    assert target.execute("SELECT count(*) FROM users").fetchone()[0] == people
    assert users.authenticate(target, "li.wei", "warroom-demo") is None


def test_an_account_export_holds_only_that_account(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    huaxin = demo_db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    data = portability.export_data(demo_db, li, huaxin)
    assert [a["id"] for a in data["tables"]["accounts"]["rows"]] == [huaxin]
    for table, body in data["tables"].items():
        for row in body["rows"]:
            if "account_id" in row and table != "audit_log":
                assert row["account_id"] == huaxin, table
    assert {r["account_id"] for r in data["tables"]["audit_log"]["rows"]} == {huaxin}
    assert data["scope"] == {"account_id": huaxin}


def test_members_cannot_export_everything(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    with pytest.raises(Exception, match="admin"):
        portability.export_data(demo_db, li)


@pytest.fixture
def small(fresh_db, admin):
    account = accounts.create_account(fresh_db, admin, {"name": "Acme", "industry": "Steel", "region": "East"})
    return fresh_db, admin, account


def total_rows(db) -> int:
    return sum(db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in portability.tables(db))


def test_a_file_from_another_schema_level_is_refused_and_nothing_is_written(small):
    db, admin, _ = small
    data = portability.export_data(db, admin)
    data["schema"] = data["schema"][:-1]
    data["tables"]["accounts"]["rows"][0]["name"] = "Changed"
    with pytest.raises(ValidationError) as caught:
        portability.plan_import(db, admin, data)
    assert "schema level" in caught.value.message("en")
    assert accounts.get_account(db, admin, 1)["name"] == "Acme"


def test_broken_rows_are_named_by_table_row_and_field_and_nothing_is_written(small):
    db, admin, _ = small
    data = portability.export_data(db, admin)
    before = total_rows(db)
    data["tables"]["accounts"]["rows"].append({"id": 50, "name": "", "industry": "", "region": "X",
                                               "currency": "CNY", "status": "active", "notes": "", "version": 1,
                                               "created_at": "2026-01-01T00:00:00+00:00",
                                               "updated_at": "2026-01-01T00:00:00+00:00", "updated_by": None})
    data["tables"]["accounts"]["rows"].append({"id": 51, "name": "Bad status", "industry": "I", "region": "X",
                                               "status": "sleeping", "version": 1, "created_at": "x",
                                               "updated_at": "x"})
    data["tables"]["product_lines"]["rows"].append({"id": 9, "bogus": 1})
    with pytest.raises(ValidationError) as caught:
        portability.apply_import(db, admin, data)
    message = caught.value.message("en")
    assert "Table accounts, row 2: " in message and "(name) must not be empty" in message  # industry may be blank
    assert "Table accounts, row 3: Status (status)" in message
    assert "bogus" in message
    assert total_rows(db) == before


def test_a_row_pointing_to_nothing_is_refused_and_rolled_back(small):
    db, admin, account = small
    data = portability.export_data(db, admin)
    data["tables"]["purchase_factors"]["rows"].append({
        "id": 7, "account_id": 999, "factor": "risk", "score": 3, "note": "", "version": 1,
        "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00", "updated_by": None})
    data["tables"]["accounts"]["rows"][0]["notes"] = "would have changed"
    with pytest.raises(ValidationError) as caught:
        portability.apply_import(db, admin, data)
    assert "does not exist" in caught.value.message("en")
    assert accounts.get_account(db, admin, account["id"])["notes"] == ""
    assert db.execute("SELECT count(*) FROM purchase_factors").fetchone()[0] == 0


def test_newer_data_in_the_database_is_not_overwritten_without_confirmation(small):
    db, admin, account = small
    data = portability.export_data(db, admin)  # file has version 1
    accounts.update_account(db, admin, account["id"], 1, {"notes": "newer"})
    plan = portability.plan_import(db, admin, data)
    accounts_plan = next(t for t in plan.tables if t.table == "accounts")
    assert (accounts_plan.changed, accounts_plan.newer_in_db) == (1, [account["id"]])
    with pytest.raises(NeedsConfirmation) as caught:
        portability.apply_import(db, admin, data)
    assert "1 row(s)" in caught.value.message("en")
    assert accounts.get_account(db, admin, account["id"])["notes"] == "newer"
    portability.apply_import(db, admin, data, confirm_newer=True)
    row = accounts.get_account(db, admin, account["id"])
    assert row["notes"] == "" and row["version"] == 3, "the overwrite is a new version, not a rollback"
    last = db.execute("SELECT action, field FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("restore", "notes")


def test_an_import_never_deletes_rows_missing_from_the_file(small):
    db, admin, _ = small
    data = portability.export_data(db, admin)
    accounts.create_account(db, admin, {"name": "Later", "industry": "I", "region": "R"})
    plan = portability.apply_import(db, admin, data)
    assert next(t for t in plan.tables if t.table == "accounts").only_in_db == 1
    assert db.execute("SELECT count(*) FROM accounts").fetchone()[0] == 2


@pytest.mark.parametrize(("raw", "reader", "reason"), [
    (b"not json at all", "json", "reason.not_json"),
    (b'{"format": "something-else", "tables": {}}', "json", "reason.not_export"),
    (b"PK\x03\x04 broken zip", "xlsx", "reason.not_xlsx"),
])
def test_files_that_are_not_exports_are_refused_clearly(small, raw, reader, reason):
    db, admin, _ = small
    with pytest.raises(ValidationError) as caught:
        data = portability.from_json(raw) if reader == "json" else portability.from_xlsx(raw, db)
        portability.plan_import(db, admin, data)
    assert caught.value.problems[0].reason_key == reason


def test_excel_keeps_text_that_looks_like_a_formula_as_text(small):
    db, admin, account = small
    accounts.update_account(db, admin, account["id"], 1, {"notes": "=HYPERLINK(\"http://x\")"})
    data = portability.from_xlsx(portability.to_xlsx(portability.export_data(db, admin)), db)
    assert data["tables"]["accounts"]["rows"][0]["notes"] == "=HYPERLINK(\"http://x\")"


def test_tables_added_by_later_migrations_are_exported_without_code_changes(small):
    db, admin, _ = small
    db.conn.execute("CREATE TABLE zz_new_feature (id INTEGER PRIMARY KEY, account_id INTEGER, label TEXT)")
    db.conn.execute("INSERT INTO zz_new_feature VALUES (1, 1, 'hello')")
    data = portability.export_data(db, admin)
    assert data["tables"]["zz_new_feature"]["rows"] == [{"id": 1, "account_id": 1, "label": "hello"}]
    assert json.loads(portability.to_json(data))["schema"] == store.applied_migrations(db)
    assert records.REGISTRY  # entities are loaded for validation
