"""The stage model (D6): stages, their default probabilities and entry criteria."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import records, store
from kamcore.errors import NotFoundError, ValidationError
from kamcore.records import Entity, Record
from kamcore.users import User

STATUSES = ("open", "won", "lost", "no_decision")
CLOSED = ("won", "lost", "no_decision")


class StageIn(Record):
    """A configurable pipeline stage: order, names, default probability."""

    key: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    position: int = Field(ge=0, le=10_000)
    name_en: str = Field(min_length=1, max_length=60)
    name_zh: str = Field(min_length=1, max_length=60)
    probability: int = Field(ge=0, le=100)
    is_lead: bool = False
    active: bool = True

    @field_validator("key")
    @classmethod
    def _not_a_status(cls, value: str) -> str:
        if value in STATUSES:
            raise PydanticCustomError("reason.stage_key_reserved", "reserved for a close status")
        return value


class StageCriterionIn(Record):
    """One entry criterion of a stage (a checklist item that must be met to enter it)."""

    stage_id: int
    position: int = Field(default=0, ge=0, le=10_000)
    label_en: str = Field(min_length=1, max_length=200)
    label_zh: str = Field(min_length=1, max_length=200)


def _stage_key_fixed(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if row_id is None:
        return
    old = db.execute("SELECT key FROM stages WHERE id = ?", [row_id]).fetchone()
    if old and old[0] != values["key"]:
        raise ValidationError.single("key", "reason.read_only")


STAGE = Entity("stage", "stages", StageIn, account_field=None, extra_checks=(_stage_key_fixed,))
STAGE_CRITERION = Entity("stage_criterion", "stage_criteria", StageCriterionIn, account_field=None)


def list_stages(db: Database, active_only: bool = True) -> list[dict[str, Any]]:
    """The stages in pipeline order (admins configure them)."""
    where = "WHERE active = 1" if active_only else ""
    return store.rows(db, f"SELECT * FROM stages {where} ORDER BY position, id")


def stage_name(stage: dict[str, Any], lang: str = "en") -> str:
    """A stage's display name in the language."""
    return stage["name_zh"] if lang == "zh" else stage["name_en"]


def stage_probabilities(db: Database) -> dict[str, int]:
    """Default probability (0–100) of every stage, by key."""
    return {k: p for k, p in db.execute("SELECT key, probability FROM stages").fetchall()}


def stage_probability(db: Database, key: str) -> int:
    """The default probability of one stage, or NotFoundError."""
    found = db.execute("SELECT probability FROM stages WHERE key = ?", [key]).fetchone()
    if found is None:
        raise NotFoundError("err.not_found_entity", entity="stage", id=key)
    return found[0]


# The probability-weighted amount of a deal in SQL: its own probability, else its stage's default.
# The ONE definition of "weighted pipeline" — every query that weighs deals uses it, with the deal
# aliased `o` and `LEFT JOIN stages s ON s.key = o.stage` (`STAGE_JOIN`). Open deals only: won deals
# count at 100 % and lost ones at 0 % (`effective_probability`), callers filter on status.
WEIGHTED_AMOUNT_SQL = "o.amount * coalesce(o.probability, s.probability, 0) / 100.0"
STAGE_JOIN = "LEFT JOIN stages s ON s.key = o.stage"


def effective_probability(row: dict[str, Any], probabilities: dict[str, int]) -> int:
    """A deal's probability: won 100, lost/no decision 0, else its override or its stage default."""
    if row.get("status") == "won":
        return 100
    if row.get("status") in ("lost", "no_decision"):
        return 0
    if row.get("probability") is not None:
        return int(row["probability"])
    return probabilities.get(row["stage"], 0)


def create_stage(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add a stage (admins)."""
    return records.create(db, actor, STAGE, values)


def update_stage(db: Database, actor: User, stage_id: int, base_version: int,
                 changes: dict[str, Any]) -> dict[str, Any]:
    """Change a stage's name, order, probability or activity (admins); its key is fixed."""
    return records.update(db, actor, STAGE, stage_id, base_version, changes)


def list_criteria(db: Database, stage_id: int | None = None) -> list[dict[str, Any]]:
    """Entry criteria, in stage then checklist order."""
    where, params = ("WHERE c.stage_id = ?", [stage_id]) if stage_id is not None else ("", [])
    return store.rows(
        db,
        f"""SELECT c.*, s.key AS stage_key, s.name_en, s.name_zh FROM stage_criteria c JOIN stages s ON s.id = c.stage_id
            {where} ORDER BY s.position, c.position, c.id""",
        params,
    )


def create_criterion(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Add an entry criterion to a stage (admins)."""
    return records.create(db, actor, STAGE_CRITERION, values)


