"""Competitors on a deal (D6): SWOT per rival and the scored product comparison sheet."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlite_utils import Database

from kamcore import records, store
from kamcore.errors import NotFoundError
from kamcore.pipeline.opportunities import (
    MAX_SCORE,
    child_values,
    get_opportunity,
    opportunity_of_account,
    same_opportunity,
)
from kamcore.records import Entity, Record
from kamcore.users import User

# ---------------------------------------------------------------- competitors and comparison sheet (D6)


class CompetitorIn(Record):
    """A rival (or us, `is_us`) on one deal, with its SWOT."""

    account_id: int
    opportunity_id: int
    name: str = Field(min_length=1, max_length=120)
    is_us: bool = False
    product: str = Field(default="", max_length=200)
    strengths: str = Field(default="", max_length=2000)
    weaknesses: str = Field(default="", max_length=2000)
    opportunities: str = Field(default="", max_length=2000)
    threats: str = Field(default="", max_length=2000)


COMPETITOR = Entity("competitor", "competitors", CompetitorIn, extra_checks=(opportunity_of_account,))


class ComparisonItemIn(Record):
    """One aspect of one product on the comparison sheet: described and scored 0–10."""

    account_id: int
    opportunity_id: int
    competitor_id: int
    aspect: Literal["name", "specification", "looks", "function", "technology", "price", "settlement_terms"]
    description: str = Field(default="", max_length=1000)
    score: int = Field(default=0, ge=0, le=MAX_SCORE)


COMPARISON_ITEM = Entity("comparison_item", "comparison_items", ComparisonItemIn,
                         extra_checks=(opportunity_of_account, same_opportunity("competitors", "competitor_id")))


def add_competitor(db: Database, actor: User, opportunity_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a rival (or our own entry) to a deal."""
    return records.create(db, actor, COMPETITOR, child_values(db, actor, opportunity_id, values))


def list_competitors(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """A deal's rivals (us first) with their comparison score (sum of item scores)."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT c.*, coalesce((SELECT sum(i.score) FROM comparison_items i WHERE i.competitor_id = c.id), 0)
                  AS comparison_score,
                  (SELECT count(*) FROM comparison_items i WHERE i.competitor_id = c.id) AS items_scored
           FROM competitors c WHERE c.opportunity_id = ? ORDER BY c.is_us DESC, c.name""",
        [opportunity_id],
    )


def set_comparison_item(db: Database, actor: User, competitor_id: int, aspect: str, description: str, score: int,
                        base_version: int | None = None) -> dict[str, Any]:
    """Describe and score one aspect of one product (create or update)."""
    competitor = store.row(db, "SELECT * FROM competitors WHERE id = ?", [competitor_id])
    if competitor is None:
        raise NotFoundError("err.not_found_entity", entity="competitor", id=competitor_id)
    values = {"account_id": competitor["account_id"], "opportunity_id": competitor["opportunity_id"],
              "competitor_id": competitor_id, "aspect": aspect, "description": description, "score": score}
    with store.transaction(db):
        existing = store.row(db, "SELECT id, version FROM comparison_items WHERE competitor_id = ? AND aspect = ?",
                             [competitor_id, aspect])
        if existing is None:
            return records.create(db, actor, COMPARISON_ITEM, values)
        version = existing["version"] if base_version is None else base_version
        return records.update(db, actor, COMPARISON_ITEM, existing["id"], version,
                              {"description": description, "score": score})


def comparison_sheet(db: Database, actor: User, opportunity_id: int) -> list[dict[str, Any]]:
    """Every scored item of a deal's comparison sheet, with the competitor's name."""
    get_opportunity(db, actor, opportunity_id)
    return store.rows(
        db,
        """SELECT i.*, c.name AS competitor_name, c.is_us FROM comparison_items i
           JOIN competitors c ON c.id = i.competitor_id WHERE i.opportunity_id = ?
           ORDER BY c.is_us DESC, c.name, i.aspect""",
        [opportunity_id],
    )


def comparison_scores(items: list[dict[str, Any]]) -> dict[str, int]:
    """Total comparison score per product name: the sum of its item scores."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item["competitor_name"]] = totals.get(item["competitor_name"], 0) + int(item["score"])
    return totals
