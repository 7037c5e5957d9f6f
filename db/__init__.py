"""Numbered schema migrations, applied on start-up by `kamcore.store.migrate`.

Each `mNNN_name.py` module in this folder defines `up(db)`; they are registered
in number order into one sqlite-utils `Migrations` set, which runs each inside a
transaction together with its record in `_sqlite_migrations`. Applied
migrations are never edited: change the schema with a new, higher number.
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
