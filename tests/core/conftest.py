"""Fixtures shared by the platform-core tests."""

from __future__ import annotations

import pytest

from kamcore import data_cache, users


@pytest.fixture
def exec_db(demo_db):
    """The demo database with an empty result cache, and the executive who reads every account."""
    data_cache.clear()
    yield demo_db, users.find_by_username(demo_db, "chen.jie")
    data_cache.clear()
