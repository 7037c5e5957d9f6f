"""The shell: first-run setup, sign-in, the account in the URL, the language switch."""

from streamlit.testing.v1 import AppTest

from kamcore import store
from tests.conftest import ROOT, account_id, signed_in_app


def fresh_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "Home.py"), default_timeout=30).run()


def test_brand_new_database_asks_for_the_first_administrator(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_VAR, str(tmp_path / "new.db"))
    at = fresh_app()
    assert not at.exception
    at.text_input(key="setup.username").input("boss")
    at.text_input(key="setup.name").input("The Boss")
    at.text_input(key="setup.password").input("long-enough-1")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == 1
    assert any("Key accounts" in t.value for t in at.title)


def test_sign_in_with_a_wrong_password_says_so(demo_path):
    at = fresh_app()
    at.text_input(key="signin.username").input("li.wei")
    at.text_input(key="signin.password").input("nope")
    at.button[0].click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "user_id" not in at.session_state


def test_sign_in_shows_the_accounts(demo_path):
    at = fresh_app()
    at.text_input(key="signin.username").input("li.wei")
    at.text_input(key="signin.password").input("warroom-demo")
    at.button[0].click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Huaxin Semiconductor" in set(table.iloc[:, 0])


def test_account_in_the_url_selects_it(demo_path):
    wanted = account_id(demo_path, "Longma Heavy Trucks")
    at = signed_in_app(demo_path, "li.wei", account_id=wanted)
    assert at.sidebar.selectbox(key="account_picker").value == wanted
    at.switch_page("pages/account.py").run()
    assert any(h.value == "Longma Heavy Trucks" for h in at.header)


def test_a_bad_account_in_the_url_gives_a_clear_message_not_a_traceback(demo_path):
    for raw in ("abc", "99999", "-1", "<script>"):
        at = signed_in_app(demo_path, "li.wei", account_id=raw)
        assert not at.exception
        assert any("does not exist or is not shared" in w.value for w in at.warning), raw


def test_someone_elses_account_in_the_url_is_not_shown(demo_path):
    foreign = account_id(demo_path, "Nile Telecom")  # li.wei is not on its team
    at = signed_in_app(demo_path, "li.wei", account_id=foreign)
    assert any("not shared" in w.value for w in at.warning)
    at.switch_page("pages/account.py").run()
    assert not at.exception
    assert all(h.value != "Nile Telecom" for h in at.header)


def test_language_switch_translates_the_page(demo_path):
    at = signed_in_app(demo_path, "li.wei", lang="zh")
    assert any("大客户总览" in t.value for t in at.title)


def test_the_language_choice_is_kept_as_the_users_preference(demo_path):
    at = signed_in_app(demo_path, "li.wei")
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert any("大客户总览" in t.value for t in at.title)
    db = store.connect(demo_path)
    assert db.execute("SELECT lang FROM users WHERE username = 'li.wei'").fetchone()[0] == "zh"
