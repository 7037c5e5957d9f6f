"""Product lines: the business portfolio that goals, shares and deals are numbered against (D3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlite_utils import Database

from kamcore import records, store
from kamcore.records import Entity, Record
from kamcore.users import User


class ProductLineIn(Record):
    """A product line's editable fields."""

    code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)
    active: bool = True


ENTITY = Entity("product_line", "product_lines", ProductLineIn, account_field=None)


def create_product_line(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a product line (admins)."""
    return records.create(db, actor, ENTITY, values)


def update_product_line(db: Database, actor: User, line_id: int, base_version: int,
                        changes: dict[str, Any]) -> dict[str, Any]:
    """Change a product line (admins), refusing a stale version."""
    return records.update(db, actor, ENTITY, line_id, base_version, changes)


def get_product_line(db: Database, line_id: int) -> dict[str, Any]:
    """One product line by id, or NotFoundError."""
    return records.get(db, ENTITY, line_id)


def list_product_lines(db: Database, active_only: bool = False) -> list[dict[str, Any]]:
    """All product lines by code."""
    where = "WHERE active = 1" if active_only else ""
    return store.rows(db, f"SELECT * FROM product_lines {where} ORDER BY code")
