"""scripts/bench.py never times a page that fails: an exception or the app's error box stops the figure."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kamcore.i18n import t
from scripts import bench


def test_a_page_that_raises_is_not_timed():
    at = AppTest.from_string("raise ValueError('boom')").run()
    with pytest.raises(bench.PageError, match="shows an error"):
        bench._check(at, "pages/x.py", 1)


def test_the_friendly_error_box_counts_as_a_failure():
    message = t("shell.unexpected_ref", "en", ref="1a2b3c4d")
    at = AppTest.from_string(f"import streamlit as st\nst.error({message!r})").run()
    with pytest.raises(bench.PageError, match="1a2b3c4d"):
        bench._check(at, "pages/x.py", 1)


def test_a_page_with_an_ordinary_refusal_is_timed():
    at = AppTest.from_string("import streamlit as st\nst.error('Name is required')\nst.title('ok')").run()
    bench._check(at, "pages/x.py", 1)  # a refusal shown to the user is not a failure of the page


def test_a_failed_page_reads_error_in_the_table_not_a_time():
    results = {"L": {"floor": 0.1, "peak_rss_mb": 1, "users": {"li.wei": {"writer": "zhang.min", "pages": {
        "pages/a.py": {"error": "pages/a.py shows an error: boom"},
        "pages/b.py": {"median": 0.1, "ratio": 1.0, "after_write": {"median": 0.1, "ratio": 1.0}}}}}}}
    text = bench.table(results, ["pages/a.py", "pages/b.py"], {}, "li.wei")
    row = next(line for line in text.splitlines() if line.startswith("| a "))
    assert "error" in row and "fails at L" in row and "ms" not in row
    assert "| b | 100 (1.0) | 100 (1.0) | ✓ |" in text
