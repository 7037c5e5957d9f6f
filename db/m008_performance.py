"""Indexes found by the benchmark (scripts/bench.py) at sizes M and L.

- `audit_by_time`: "what changed in the last N days" across every account (an executive's
  home page, the huddle feed) filters the audit log on `at` alone; without it SQLite scans
  the whole log (3.2 s at L, 2.7 M rows) instead of the last week's rows (19 ms). It covers
  entity, entity_id and account_id too, so counting distinct changes never reads the table.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log(at, entity, entity_id, account_id);
"""


def up(db: Database) -> None:
    """Add the indexes."""
    run_script(db, SCHEMA)
