"""Failed sign-ins know whether their password check has finished.

An attempt is written before its password is checked (so parallel guesses cannot slip past the limit);
until the check ends it is `settled = 0`. The per-username limit counts those too, but the per-address
limit counts only settled failures: 50 colleagues behind one office address signing in at 9:00 are 50
attempts in flight, not 50 failures (the load test's crowd was refused as guessers).
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
ALTER TABLE sign_in_failures ADD COLUMN settled INTEGER NOT NULL DEFAULT 1;
"""


def up(db: Database) -> None:
    """Add `settled` (existing rows are finished failures)."""
    run_script(db, SCHEMA)
