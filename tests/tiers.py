"""The slow tier: tests marked `slow` by tests/conftest.py, so `pytest -m "not slow"` is the everyday run.

Slow means minutes, not seconds: minute-long soaks, rounds beside CPU burners, whole-app screenshot
sweeps, the 8,800-row browser import, stress, crash, scale and big fuzz runs. Measured on a shared
2-core machine with `--durations` (2026-12-03: the browser tests, and the rest of the suite);
stress, crash and fuzz by what they do. One
list, by test id prefix (a file, or a file::test), so a test's tier is decided in one place. The full
suite (`bash scripts/test.sh`, CI) runs both tiers.
"""

from __future__ import annotations

SLOW: tuple[str, ...] = (
    # browser: soaks and meetings, beside CPU burners (75-220 s each)
    "tests/browser/test_team_soak.py",
    "tests/browser/test_present_follow.py",
    "tests/browser/test_tab_editor_clicks.py",  # 12 rounds of grid edits in keyed tabs (65 s)
    # browser: every page or screen, both languages, two sizes (60-130 s each)
    "tests/browser/test_browser_app.py::test_every_page_renders_and_is_screenshotted_at_two_sizes",
    "tests/browser/test_needs_admin_screens.py",
    "tests/browser/test_present_screens.py::test_every_present_section_fits_the_screen_at_both_sizes",
    # browser: the 8,800-row CRM import through the page, many sessions' database handles
    "tests/browser/test_import_maven.py",
    "tests/browser/test_connections_browser.py",
    # stress, crash and scale
    "tests/core/test_stress_concurrent.py",
    "tests/core/test_stress_scale.py",
    "tests/core/test_crash_safety.py::test_writes_acknowledged_before_sigkill_survive_and_nothing_is_torn",
    "tests/core/test_crash_safety.py::test_verify_reports_an_acknowledged_write_that_is_missing",
    "tests/core/test_crash_safety.py::test_verify_reports_an_account_whose_team_transaction_was_torn",
    "tests/portfolio/test_figures.py::test_figures_agree_over_the_generated_m_data",  # builds the M war room
    "tests/data/test_import_bad_input.py::test_100000_rows_import_with_progress_in_a_stated_time",  # 189 s
    "tests/data/test_long_work.py::test_a_full_export_reports_its_progress_and_the_files_read_back",  # 55 s
    "tests/data/test_export.py::test_full_export_round_trips_every_record_into_a_fresh_database",  # 24 s (xlsx)
    # big fuzz (hypothesis: 40-300 examples per test, each on a copy of the demo)
    "tests/core/test_fuzz_text_fields.py",
    "tests/core/test_fuzz_writes.py",
    "tests/data/test_fuzz_features.py",
)


def is_slow(nodeid: str) -> bool:
    """Whether the test `nodeid` (as pytest names it, from the repository root) is in the slow tier."""
    return any(nodeid == slow or nodeid.startswith(slow + "::") or nodeid.startswith(slow + "[")
               for slow in SLOW)
