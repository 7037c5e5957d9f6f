"""AppTest: the relationships page's day counts are numbers with a blank placeholder, never a number column mixed
with '' — Arrow refuses such a column and Streamlit then rewrites the frame (and logs a traceback) on every run."""

import pandas as pd

from tests.conftest import account_id, query, query_value, signed_in_app
from tests.visible_text import unescape


def test_day_columns_are_numeric_and_blanks_read_as_a_dash(demo_path):
    at = signed_in_app(demo_path, "chen.jie", "pages/relationships.py", account_id(demo_path, "Huaxin Semiconductor"))
    assert not at.exception, at.exception
    frames = [f for f in at.dataframe if "Days since" in f.value.columns or "Days left" in f.value.columns]
    assert frames, "the freshness table is drawn"
    for frame in frames:
        for column in ("Days since", "Days left"):
            if column in frame.value.columns:
                assert pd.api.types.is_numeric_dtype(frame.value[column]), frame.value[column].tolist()
        if frame.value.isna().any().any():
            assert frame.proto.placeholder == "—"  # a blank reads as a dash, not as the word None


def test_a_budget_typed_as_20000_is_stored_as_20000_and_shown_as_cny_20k(demo_path):
    """Issue 26: "Budget planned (CNY)" typed as 20000 was shown as twenty million."""
    account = account_id(demo_path, "Pearl River Bank")
    assert query_value(demo_path, "SELECT currency FROM accounts WHERE id = ?", [account]) == "CNY"
    before = query_value(demo_path, "SELECT count(*) FROM relationship_actions WHERE account_id = ?", [account])
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", account)
    assert not at.exception, at.exception
    assert at.text_input(key="action.budget").label == "Budget planned (CNY)"
    at.text_area(key="action.plan").input("Headquarters visit for the CIO")
    at.text_input(key="action.budget").input("20000")
    at.text_input(key="action.spent").input("12,500.50")
    next(b for b in at.button if b.label == "Add to plan").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = query(demo_path, "SELECT budget_planned, budget_spent FROM relationship_actions WHERE account_id = ? "
                            "AND plan = 'Headquarters visit for the CIO'", [account])
    assert rows == [(20000.0, 12500.5)]
    assert query_value(demo_path, "SELECT count(*) FROM relationship_actions WHERE account_id = ?", [account]) == before + 1
    shown = next(f.value for f in at.dataframe if "Budget planned" in f.value.columns)
    row = shown[shown["Plan"] == "Headquarters visit for the CIO"].iloc[0]
    assert (row["Budget planned"], row["Budget spent"]) == ("CNY 20.0 k", "CNY 12.5 k")
    zh = signed_in_app(demo_path, "li.wei", "pages/relationships.py", account, lang="zh")
    shown = next(f.value for f in zh.dataframe if "计划预算" in f.value.columns)
    assert "2.00 万元" in shown["计划预算"].tolist()


def test_a_budget_that_cannot_be_read_is_refused_naming_the_field_and_nothing_is_written(demo_path):
    account = account_id(demo_path, "Pearl River Bank")
    before = query_value(demo_path, "SELECT count(*) FROM relationship_actions")
    at = signed_in_app(demo_path, "li.wei", "pages/relationships.py", account)
    at.text_input(key="action.budget").input("20k")
    next(b for b in at.button if b.label == "Add to plan").click().run()
    assert any("Budget planned" in unescape(e.value) and "1,234.50" in unescape(e.value) for e in at.error), [e.value for e in at.error]
    assert query_value(demo_path, "SELECT count(*) FROM relationship_actions") == before
