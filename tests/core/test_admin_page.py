"""The admin page: users and product lines."""

import pytest

from kamcore import product_lines, store
from tests.conftest import signed_in_app
from tests.visible_text import slips, visible_text


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


def _save(at, form):
    """Press the Save button of one settings form (form keys carry the settings' version)."""
    next(b for b in at.button if b.label == "Save" and f":{form}" in b.id).click().run()
    assert not at.exception, at.exception


def test_admin_saves_the_health_weights_and_a_sum_other_than_100_is_refused(demo_path):
    from kamcore.relationships import health
    db = store.connect(demo_path)
    before = health.weights(db)
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    at.number_input(key="admin.weights.plan_completeness").set_value(before["plan_completeness"] + 5)
    _save(at, "admin.weights")
    assert "add up to 105, not 100" in at.error[0].value
    assert health.weights(db)["version"] == before["version"]
    at.number_input(key="admin.weights.risk_flags").set_value(before["risk_flags"] - 5)
    _save(at, "admin.weights")
    after = health.weights(db)
    assert (after["plan_completeness"], after["risk_flags"]) == (before["plan_completeness"] + 5,
                                                                 before["risk_flags"] - 5)
    assert after["version"] != before["version"]
    assert at.number_input(key="admin.weights.plan_completeness").value == before["plan_completeness"] + 5


def test_admin_saves_the_relationship_thresholds(demo_path):
    from kamcore.relationships import guidance
    db = store.connect(demo_path)
    before = guidance.settings(db)
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    at.number_input(key="admin.thresholds.key_contacts_max").set_value(before["key_contacts_min"] - 1)
    _save(at, "admin.thresholds")
    assert at.error, "a maximum below the minimum is refused on screen"
    assert guidance.settings(db) == before
    at.number_input(key="admin.thresholds.key_contacts_max").set_value(before["key_contacts_max"])
    at.number_input(key="admin.thresholds.not_contacted_days").set_value(before["not_contacted_days"] + 15)
    _save(at, "admin.thresholds")
    assert guidance.settings(db)["not_contacted_days"] == before["not_contacted_days"] + 15


def test_admin_saves_the_retrospective_review_amount(demo_path):
    from kamcore.learning import retrospectives
    db = store.connect(demo_path)
    before = retrospectives.review_amount(db)
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    at.text_input(key="admin.review_amount").input(f"{before + 2500:,.2f}")
    _save(at, "admin.review")
    assert retrospectives.review_amount(db) == before + 2500.0
    zh = signed_in_app(demo_path, "admin", "pages/admin.py", lang="zh")
    assert zh.text_input(key="admin.review_amount").value == f"{before + 2500:,.0f}"
    zh.text_input(key="admin.review_amount").input("100万")
    next(b for b in zh.button if b.label == "保存" and ":admin.review" in b.id).click().run()
    assert not zh.exception, zh.exception
    assert retrospectives.review_amount(db) == 1_000_000.0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_settings_tab_reads_without_slips(demo_path, lang):
    at = signed_in_app(demo_path, "admin", "pages/admin.py", lang=lang)
    assert not at.exception
    assert slips(visible_text(at)) == []


def test_a_users_language_is_offered_by_name_not_code(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    language = next(box for box in at.selectbox if box.label == "Language")
    assert set(language.options) == {"English", "中文"}, language.options
