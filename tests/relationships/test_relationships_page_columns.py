"""AppTest: the relationships page's day counts are numbers with a blank placeholder, never a number column mixed
with '' — Arrow refuses such a column and Streamlit then rewrites the frame (and logs a traceback) on every run."""

import pandas as pd

from tests.conftest import account_id, signed_in_app


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
