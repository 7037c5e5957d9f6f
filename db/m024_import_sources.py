"""Imports that only require what the method needs, re-imports by CRM id, ids never handed out twice.

- `accounts.industry` and `accounts.region` may be NULL: an account needs a name (D1 tiers it by
  revenue and potential, not by its industry label); a CRM export without those columns leaves them
  blank, shown as "—" and fillable later, instead of being refused or getting a made-up "—" text.
- `opportunities.product_line_id` may be NULL: D6 qualifies and moves a deal by stage, MAN and
  amount; a CRM export without products (most of them) still brings its deals. Such a deal is
  numbered DEAL-<year>-NNN.
  As in m014, SQLite cannot drop NOT NULL in ALTER TABLE and rebuilding would cascade-delete the
  children, so the CREATE text is edited in place (https://sqlite.org/lang_altertable.html#otheralter).
- `import_sources`: which war-room record a CRM id was imported into, and the record's version the
  last import left it at. A re-import compares the record's version now with that one: a record
  edited in the war room since is a conflict, never overwritten silently.
- `_record_ids`: the highest id ever handed out per entity (kamcore.records). SQLite's INTEGER PRIMARY
  KEY without AUTOINCREMENT hands the highest id out again after it is deleted; this table is the
  AUTOINCREMENT counter for every table, kept by the one door that inserts (`records.create_many`).
"""

from sqlite_utils import Database

from db.sql import run_script

SCHEMA = """
CREATE TABLE import_sources (
    entity TEXT NOT NULL,
    external_id TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    version_seen INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    token TEXT,
    PRIMARY KEY (entity, external_id)
);
CREATE INDEX import_sources_record ON import_sources(entity, record_id);

CREATE TABLE _record_ids (
    entity TEXT PRIMARY KEY,
    high INTEGER NOT NULL
);
"""

_RELAX = {
    "accounts": (("industry TEXT NOT NULL,", "industry TEXT,"), ("region TEXT NOT NULL,", "region TEXT,")),
    "opportunities": (("product_line_id INTEGER NOT NULL REFERENCES", "product_line_id INTEGER REFERENCES"),),
}


def up(db: Database) -> None:
    """Add import sources and id counters; let industry, region and a deal's product line be blank."""
    run_script(db, SCHEMA)
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.conn.execute("PRAGMA writable_schema = ON")
    try:
        for table, edits in _RELAX.items():
            sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
            for old, new in edits:
                if old not in sql:
                    raise RuntimeError(f"m024: {table} schema is not as expected ({old!r} missing)")
                sql = sql.replace(old, new)
            db.conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [sql, table])
        db.conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.conn.execute("PRAGMA writable_schema = OFF")
