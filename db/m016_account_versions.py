"""Per-account data versions for the incremental summaries (kamcore.data_cache.per_account).

`audit_by_account_id`: the highest audit id of one account (or of the rows with no account,
the global changes: rules, stages, criteria) is one index seek, so reading the versions of
the 2,000 accounts an executive sees costs milliseconds instead of a scan of the 2.7 M-row
log. (`audit_by_account_time` cannot serve max(id): `at` sits between the account and the id.)
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE INDEX IF NOT EXISTS audit_by_account_id ON audit_log(account_id, id);
"""


def up(db: Database) -> None:
    """Add the index."""
    run_script(db, SCHEMA)
