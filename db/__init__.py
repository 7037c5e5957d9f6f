"""Numbered schema migrations, applied on start-up by `kamcore.store.migrate`.

Each `mNNN_name.py` module in this folder defines `up(db)`; they are registered
in number order into one sqlite-utils `Migrations` set, which runs each inside a
transaction together with its record in `_sqlite_migrations`. Applied
migrations are never edited: change the schema with a new, higher number.
`tests/core/test_migration_hashes.py` holds every file to the hash recorded for it in
`migration_hashes.json`; a new migration's hash is recorded in the same commit.

Numbers reserved for parallel branches are closed up before they land. There is no m010 and no m020:
no commit in git history ever added either file (m010 sat between m009 of 2026-11-23 and the
m011-m017 merged on 2026-11-25; m020 between m019 and m021 of the 2026-11-25 sign-in work) — numbers
reserved then for branches that needed no schema change. A gap is harmless: migrations run in name
order and each is recorded by name. m026 repairs m018, which gained `sign_in_handoffs` after it had
landed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from sqlite_utils import Migrations

MIGRATIONS = Migrations("kam")
_NAME = re.compile(r"^m\d{3}_\w+$")


def _register_all() -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if _NAME.match(m.name))
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        MIGRATIONS(name=name)(module.up)


_register_all()
