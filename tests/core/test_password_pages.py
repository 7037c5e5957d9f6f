"""Issue 20 item 10 through the screens: changing one's own password asks for the current one; an admin's
reset signs the user out of a tab that is open right now."""

from streamlit.testing.v1 import AppTest

from kamcore import sessions, store, users
from tests.conftest import ROOT


def app_with_session(db_path, username: str, page: str | None = None) -> tuple[AppTest, str]:
    """An AppTest signed in as a browser would be: a real session token, as after the sign-in form."""
    db = store.connect(db_path)
    user = users.find_by_username(db, username)
    token = sessions.start(db, user)
    db.close()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=30)
    at.session_state["user_id"] = user.id
    at.session_state["_session_token"] = token
    at.session_state["lang"] = "en"
    at.run()
    if page:
        at.switch_page(page).run()
    return at, token


def change_own(at: AppTest, current: str, new: str) -> AppTest:
    at.text_input(key="admin.my_password.current").input(current)
    at.text_input(key="admin.my_password.value").input(new)
    next(b for b in at.button if b.label == "Change my password").click().run()
    assert not at.exception
    return at


def test_changing_ones_own_password_needs_the_current_one_and_ends_the_other_sign_ins(demo_path):
    at, token = app_with_session(demo_path, "li.wei", "pages/admin.py")
    db = store.connect(demo_path)
    me = users.find_by_username(db, "li.wei")
    other_laptop = sessions.start(db, me)
    change_own(at, "a-guess-at-it", "taken-over-1")
    assert any("Current password" in e.value for e in at.error)
    assert users.authenticate(db, "li.wei", "warroom-demo") == me
    change_own(at, "warroom-demo", "brand-new-pass-1")
    assert users.authenticate(db, "li.wei", "brand-new-pass-1") == me
    assert sessions.resume(db, other_laptop) is None
    assert sessions.resume(db, token) == me
    assert at.session_state["user_id"] == me.id, "this browser stays signed in"
    actor = db.execute("SELECT actor_id FROM audit_log WHERE entity = 'user' AND entity_id = ? "
                       "AND field = 'password_hash' ORDER BY id DESC", [me.id]).fetchone()[0]
    assert actor == me.id


def test_an_admin_reset_signs_the_user_out_of_a_tab_open_right_now(demo_path):
    victim, _ = app_with_session(demo_path, "li.wei")
    assert victim.session_state["user_id"]
    admin, _ = app_with_session(demo_path, "admin", "pages/admin.py")
    db = store.connect(demo_path)
    target = users.find_by_username(db, "li.wei")
    admin.selectbox(key="admin.edit.user").set_value(target.id).run()
    field = next(t for t in admin.text_input if t.label == "New password" and t.key is None)  # the reset form
    field.input("after-the-reset-1")
    next(b for b in admin.button if b.label == "Reset password").click().run()
    assert not admin.exception
    assert any("every sign-in of theirs has ended" in s.value for s in admin.success), [s.value for s in admin.success]
    victim.run()
    assert not victim.exception
    assert "user_id" not in victim.session_state
    assert any("Your sign-in has ended" in i.value for i in victim.info)
    assert admin.run().session_state["user_id"], "the admin's own session stays"


def test_my_sign_ins_lists_this_browser_and_a_kept_laptop_and_ends_the_laptop(demo_path):
    db = store.connect(demo_path)
    me = users.find_by_username(db, "zhang.min")
    laptop = sessions.start(db, me, kept=True)
    at, token = app_with_session(demo_path, "zhang.min", "pages/admin.py")
    listed = [t.value for t in at.text if "Signed in" in t.value]
    assert len(listed) == 2
    assert sum("this browser" in line for line in listed) == 1
    assert sum("kept on that computer" in line for line in listed) == 1
    laptop_id = next(s["id"] for s in sessions.list_for(db, me) if s["kept"])
    ends = [b for b in at.button if b.label == "End"]
    assert [b.key for b in ends] == [f"sessions.end.{laptop_id}"], "only the other browser can be ended here"
    ends[0].click().run()
    assert not at.exception
    assert sessions.resume(db, laptop) is None and sessions.resume(db, token) == me
    db.close()
