"""Bring your own data: account hierarchy and attributes, external deal owners, deals without
an amount or an opened date, and one-shot import runs.

- `accounts.parent_id`: the group an account belongs to (group -> subsidiaries; cycles are
  refused in kamcore/accounts.py). `accounts.attributes`: a JSON object of the extra columns an
  import kept (e.g. year_established, employees), never interpreted.
- `opportunities.external_owner`: the owner's name as the CRM spelt it when it is not one of
  our users - kept, shown, filterable and exported, never dropped.
- `opportunities.amount` and `opened_on` may be NULL: an open deal the CRM has no amount or
  engage date for stays without one instead of getting 0 or today's date. SQLite cannot drop a
  NOT NULL in ALTER TABLE, and rebuilding the table would cascade-delete its children (foreign
  keys are on inside the migration transaction); removing NOT NULL/relaxing a CHECK does not
  change the stored format, so the table's CREATE text is edited in place as SQLite documents
  (https://sqlite.org/lang_altertable.html#otheralter) and the schema version bumped.
- `import_runs`: one row per committed import preview (its token), so a second click or a
  second tab committing the same preview gets the first result instead of duplicates.
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
ALTER TABLE accounts ADD COLUMN parent_id INTEGER REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE INDEX accounts_parent ON accounts(parent_id);
ALTER TABLE opportunities ADD COLUMN external_owner TEXT NOT NULL DEFAULT '';
CREATE INDEX opportunities_external_owner ON opportunities(external_owner) WHERE external_owner <> '';

CREATE TABLE import_runs (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    rows INTEGER NOT NULL,
    summary TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
);
"""

_RELAX = (
    ("amount REAL NOT NULL DEFAULT 0 CHECK (amount >= 0)", "amount REAL DEFAULT 0 CHECK (amount IS NULL OR amount >= 0)"),
    ("opened_on TEXT NOT NULL,", "opened_on TEXT,"),
)


def up(db: Database) -> None:
    """Add the hierarchy, attributes, external owner and import runs; let amount and opened_on be unknown."""
    run_script(db, SCHEMA)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'opportunities'").fetchone()[0]
    relaxed = sql
    for old, new in _RELAX:
        if old not in relaxed:
            raise RuntimeError(f"m014: opportunities schema is not as expected ({old!r} missing)")
        relaxed = relaxed.replace(old, new)
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.conn.execute("PRAGMA writable_schema = ON")
    try:
        db.conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'opportunities'", [relaxed])
        db.conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.conn.execute("PRAGMA writable_schema = OFF")
