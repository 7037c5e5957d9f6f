"""scripts/bench.py reports every role, warm and after a write, and marks the goal per page."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def load():
    spec = importlib.util.spec_from_file_location("bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figures(median, ratio, after, after_ratio):
    return {"median": median, "ratio": ratio, "error": None,
            "after_write": {"median": after, "ratio": after_ratio, "error": None}}


def test_the_table_shows_each_role_warm_and_after_a_write_with_the_goal_marked():
    bench = load()
    results = {size: {"floor": 0.1, "peak_rss_mb": 200, "users": {
        "li.wei": {"writer": "zhang.min", "pages": {"pages/home.py": figures(0.15, 1.5, 0.2, 2.0)}},
        "chen.jie": {"writer": "li.wei", "pages": {"pages/home.py": figures(0.5, 5.0, 0.9, 9.0)}},
    }} for size in ("M", "L")}
    text = bench.tables(results, ["pages/home.py"], {})
    member, executive = text.split("**Signed in as chen.jie**")
    assert "**Signed in as li.wei**" in member and "zhang.min" in member
    assert "| home | 150 (1.5) | 150 (1.5) | 200 (2.0) | 200 (2.0) | ✓ |" in member
    assert "✗ warm 5.00× > 2×, after a write 9.00× > 3×" in executive
    assert "goal at L" in text and "L after write ms (÷floor)" in text


def test_every_role_is_measured_by_default():
    bench = load()
    assert set(bench.USERS) == {"li.wei", "chen.jie", "admin"}
    assert (bench.WARM_GOAL, bench.WRITE_GOAL) == (2.0, 3.0)
