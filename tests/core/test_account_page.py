"""The account page: editing the profile, and two people editing the same field."""

from kamcore import store
from tests.conftest import account_id, query_row, signed_in_app
from tests.forms import field


def notes_in_db(path, account):
    return query_row(path, "SELECT notes, version FROM accounts WHERE id = ?", [account])


def save_notes(at, text):
    field(at, "profile", "notes").input(text)
    next(b for b in at.button if b.label == "Save profile").click().run()
    return at


def test_editing_the_profile_saves_and_audits(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/account.py", account)
    version = notes_in_db(demo_path, account)[1]
    save_notes(at, "Agreed tiering with BU and region")
    assert not at.exception
    assert notes_in_db(demo_path, account) == ("Agreed tiering with BU and region", version + 1)
    assert any("Saved" in s.value for s in at.success)


def notes_saved_by_both(demo_path):
    """Li Wei and Zhang Min open the same account; Li saves his notes first, then Zhang hers: the account and
    Zhang's page, which now holds a conflict."""
    account = account_id(demo_path, "Huaxin Semiconductor")
    li = signed_in_app(demo_path, "li.wei", "pages/account.py", account)
    zhang = signed_in_app(demo_path, "zhang.min", "pages/account.py", account)
    save_notes(li, "Li's notes")
    save_notes(zhang, "Zhang's notes")
    return account, zhang


def test_second_editor_of_the_same_field_gets_a_conflict_naming_the_first(demo_path):
    account, zhang = notes_saved_by_both(demo_path)
    assert not zhang.exception
    message = " ".join(e.value for e in zhang.error)
    assert "Li Wei" in message and "Notes" in message
    assert notes_in_db(demo_path, account)[0] == "Li's notes"  # nothing overwritten
    assert field(zhang, "profile", "notes").value == "Zhang's notes"  # input kept on screen
    next(b for b in zhang.button if b.label == "Re-apply my changes").click().run()
    assert notes_in_db(demo_path, account)[0] == "Zhang's notes"  # re-applied on purpose, audited


def test_discarding_after_a_conflict_shows_the_latest_values(demo_path):
    _, zhang = notes_saved_by_both(demo_path)
    next(b for b in zhang.button if b.label == "Discard mine, show latest").click().run()
    assert field(zhang, "profile", "notes").value == "Li's notes"


def test_bad_input_shows_the_field_and_changes_nothing(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "li.wei", "pages/account.py", account)
    before = notes_in_db(demo_path, account)
    field(at, "profile", "name").input("   ")
    next(b for b in at.button if b.label == "Save profile").click().run()
    assert any("Name" in e.value and "empty" in e.value for e in at.error)
    assert notes_in_db(demo_path, account) == before


def test_executive_sees_the_account_read_only(demo_path):
    account = account_id(demo_path, "Huaxin Semiconductor")
    at = signed_in_app(demo_path, "chen.jie", "pages/account.py", account)
    assert not at.exception
    assert field(at, "profile", "notes").disabled


def test_admin_creates_an_account_and_adds_a_team_member(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/account.py")
    at.text_input(key="new_account.name").input("Delta Wind Power")
    at.text_input(key="new_account.industry").input("Energy")
    at.text_input(key="new_account.region").input("North China")
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception
    new_id = account_id(demo_path, "Delta Wind Power")
    assert at.query_params["account"] == [str(new_id)] or at.query_params["account"] == str(new_id)
    next(b for b in at.button if b.label == "Add to team").click().run()
    assert not at.exception
    db = store.connect(demo_path)
    assert db.execute("SELECT count(*) FROM account_team WHERE account_id = ?", [new_id]).fetchone()[0] == 1
