"""The admin page: users and product lines."""

from kamcore import product_lines, store
from tests.conftest import signed_in_app


def test_admin_creates_a_user_who_can_then_sign_in(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    at.text_input(key="admin.new.username").input("new.person")
    at.text_input(key="admin.new.name").input("New Person")
    at.text_input(key="admin.new.password").input("long-password-1")
    next(b for b in at.button if b.label == "Create user").click().run()
    assert not at.exception
    from kamcore import users
    assert users.authenticate(store.connect(demo_path), "new.person", "long-password-1")


def test_short_password_is_refused_with_the_reason(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    at.text_input(key="admin.new.username").input("new.person")
    at.text_input(key="admin.new.name").input("New Person")
    at.text_input(key="admin.new.password").input("short")
    next(b for b in at.button if b.label == "Create user").click().run()
    assert any("at least 8" in e.value for e in at.error)


def test_product_lines_are_edited_in_place_row_by_row(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    editor_key = "lines.editor.0"  # EditableTable keys: <key>.editor.<nonce>
    at.session_state[editor_key] = {"edited_rows": {0: {"name": "Access & fibre"}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception
    names = {line["code"]: line["name"] for line in product_lines.list_product_lines(store.connect(demo_path))}
    assert names["ACCESS"] == "Access & fibre"


def test_members_are_told_admin_is_for_administrators(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/admin.py")
    assert not at.exception
    assert any("Only administrators" in i.value for i in at.info)
