"""The sign-in screen says when guessing has paused sign-in, in English and 中文, and refuses the right
password during the pause (issue 20 item 9, through the real page)."""

from streamlit.testing.v1 import AppTest

from kamcore import sign_in_throttle
from tests.conftest import ROOT


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin.username").input(username)
    at.text_input(key="signin.password").input(password)
    at.button[0].click().run()
    return at


def test_after_repeated_failures_the_screen_says_wait_and_refuses_the_right_password(demo_path):
    for lang, who, wanted in (("en", "li.wei", "Too many attempts"), ("zh", "zhang.min", "尝试次数过多")):
        at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=30)
        at.session_state["lang"] = lang
        at.run()
        for n in range(sign_in_throttle.FREE_PER_USER):
            sign_in(at, who, f"wrong-{n}")
            assert not any(wanted in e.value for e in at.error)
        sign_in(at, who, "warroom-demo")
        assert not at.exception
        assert any(wanted in e.value for e in at.error), [e.value for e in at.error]
        assert "user_id" not in at.session_state
