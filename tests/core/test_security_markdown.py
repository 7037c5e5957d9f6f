"""User text and ?account= are shown as text, not Markdown (issue 20, item 14)."""

import pytest

from kamcore import store
from kamui.chores import plain
from tests.conftest import account_id, signed_in_app

HOSTILE = "[click](http://evil.example) ![x](http://evil.example/t.png) {{7*7}} *it* <b>bold</b> :red[alarm]"


@pytest.mark.parametrize("text", [HOSTILE, "# heading", "$x^2$", "a_b_c", "1. list", "~~gone~~", "\\[x\\]"])
def test_plain_escapes_every_markdown_and_html_character(text):
    import re
    escaped = plain(text)
    assert not re.search(r"(?<!\\)[\[\]()*_<>#$~:!]", escaped.replace("\\\\", "")), escaped
    assert re.sub(r"\\(.)", r"\1", escaped) == text, "unescaping gives the text back: nothing is lost"


def test_a_hostile_display_name_renders_literally_on_the_account_page(demo_path):
    db = store.connect(demo_path)
    db.conn.execute("UPDATE users SET display_name = ? WHERE username = 'wang.fang'", [HOSTILE])
    db.conn.commit()
    db.close()
    at = signed_in_app(demo_path, "li.wei", "pages/account.py", account_id(demo_path, "Jiangnan Power Grid"))
    shown = [m.value for m in at.markdown if "evil" in m.value]
    assert shown, "the name is on the page"
    for value in shown:
        assert "](http" not in value and "\\[click\\]\\(http" in value


def test_a_hostile_account_parameter_is_shown_as_text(demo_path):
    at = signed_in_app(demo_path, "li.wei", None, "[x](http://evil.example)")
    warnings = [w.value for w in at.warning if "evil" in w.value]
    assert warnings and all("](http" not in w for w in warnings)
