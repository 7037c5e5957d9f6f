"""Customer segments (D13): each with its value proposition and the weight of each key buying factor
(they add up to 100); how we and each rival score on those factors (0–10) per segment; and which
segment each account belongs to. Compete where the weight is high and we are far better."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import ValidationError
from kamcore.records import Action, Entity, Record
from kamcore.users import User

FACTORS = ("price", "quality", "performance", "lead_time", "delivery_accuracy", "technical_support")
MAX_SCORE = 10


def _may_define(db: Database, actor: User, account_id: int | None, action: Action) -> None:
    """Segments are the team's: an admin or anyone who edits an account may define them."""
    if actor.is_admin:
        return
    found = db.execute("SELECT 1 FROM account_team WHERE user_id = ? AND role IN (?, ?, ?)",
                       [actor.id, *permissions.EDITING_ROLES]).fetchone()
    if found is None:
        from kamcore.errors import PermissionDenied

        raise PermissionDenied("err.segments_team_only")


class SegmentIn(Record):
    """A segment, its value proposition and its factor weights (percent, adding up to 100)."""

    name: str = Field(min_length=1, max_length=80)
    value_proposition: str = Field(default="", max_length=2000)
    w_price: int = Field(default=0, ge=0, le=100)
    w_quality: int = Field(default=0, ge=0, le=100)
    w_performance: int = Field(default=0, ge=0, le=100)
    w_lead_time: int = Field(default=0, ge=0, le=100)
    w_delivery_accuracy: int = Field(default=0, ge=0, le=100)
    w_technical_support: int = Field(default=0, ge=0, le=100)

    @model_validator(mode="after")
    def _add_up(self) -> SegmentIn:
        total = sum(getattr(self, f"w_{f}") for f in FACTORS)
        if total != 100:
            raise PydanticCustomError("reason.factor_weights_sum", "weights must add up to 100",
                                      {"field": "weights", "total": total})
        return self


class ScoreIn(Record):
    """How one supplier (us or a rival) scores on each factor in one segment, 0–10."""

    segment_id: int
    name: str = Field(min_length=1, max_length=120)
    is_us: bool = False
    s_price: int = Field(default=0, ge=0, le=MAX_SCORE)
    s_quality: int = Field(default=0, ge=0, le=MAX_SCORE)
    s_performance: int = Field(default=0, ge=0, le=MAX_SCORE)
    s_lead_time: int = Field(default=0, ge=0, le=MAX_SCORE)
    s_delivery_accuracy: int = Field(default=0, ge=0, le=MAX_SCORE)
    s_technical_support: int = Field(default=0, ge=0, le=MAX_SCORE)


class MembershipIn(Record):
    """An account's segment."""

    account_id: int
    segment_id: int


def _segment_exists(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    if db.execute("SELECT 1 FROM segments WHERE id = ?", [values["segment_id"]]).fetchone() is None:
        raise ValidationError.single("segment_id", "reason.segment_unknown")


SEGMENT = Entity("segment", "segments", SegmentIn, account_field=None, authorize=_may_define)
SCORE = Entity("segment_score", "segment_scores", ScoreIn, account_field=None, authorize=_may_define,
               extra_checks=(_segment_exists,))
MEMBERSHIP = Entity("account_segment", "account_segments", MembershipIn, extra_checks=(_segment_exists,))


def weights_of(values: dict[str, Any]) -> dict[str, int]:
    """The six factor weights from a form or a row, keyed by factor."""
    return {f: int(values.get(f"w_{f}") or 0) for f in FACTORS}


def create_segment(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Define a segment with its value proposition and weights."""
    return records.create(db, actor, SEGMENT, values)


def update_segment(db: Database, actor: User, segment_id: int, base_version: int,
                   changes: dict[str, Any]) -> dict[str, Any]:
    """Change a segment's name, value proposition or weights, refusing a stale version."""
    return records.update(db, actor, SEGMENT, segment_id, base_version, changes)


def list_segments(db: Database) -> list[dict[str, Any]]:
    """Every segment with how many accounts belong to it."""
    return store.rows(db, """SELECT s.*, (SELECT count(*) FROM account_segments m WHERE m.segment_id = s.id)
                                    AS accounts FROM segments s ORDER BY s.name""")


def set_scores(db: Database, actor: User, segment_id: int, name: str, scores: dict[str, int], is_us: bool = False,
               base_version: int | None = None) -> dict[str, Any]:
    """Record (or change) one supplier's six scores in a segment."""
    values = {"segment_id": segment_id, "name": name, "is_us": is_us, **{f"s_{f}": v for f, v in scores.items()}}
    with store.transaction(db):
        found = store.row(db, "SELECT id, version FROM segment_scores WHERE segment_id = ? AND name = ?",
                          [segment_id, (name or "").strip()])
        if found is None:
            return records.create(db, actor, SCORE, values)
        version = found["version"] if base_version is None else base_version
        return records.update(db, actor, SCORE, found["id"], version, {k: v for k, v in values.items()
                                                                        if k != "segment_id"})


def scores(db: Database, segment_id: int) -> list[dict[str, Any]]:
    """Every supplier's scores in a segment, us first."""
    return store.rows(db, "SELECT * FROM segment_scores WHERE segment_id = ? ORDER BY is_us DESC, name",
                      [segment_id])


def comparison(db: Database, segment_id: int) -> list[dict[str, Any]]:
    """One row per factor and supplier: the factor's weight next to the supplier's score (the chart's data)."""
    segment = records.get(db, SEGMENT, segment_id)
    weights = weights_of(segment)
    return [{"factor": f, "weight": weights[f], "name": row["name"], "is_us": bool(row["is_us"]),
             "score": int(row[f"s_{f}"])} for row in scores(db, segment_id) for f in FACTORS]


def weighted_scores(db: Database, segment_id: int) -> list[dict[str, Any]]:
    """Each supplier's weighted score (0–10: Σ weight × score / 100), best first."""
    segment = records.get(db, SEGMENT, segment_id)
    weights = weights_of(segment)
    out = [{"name": row["name"], "is_us": bool(row["is_us"]),
            "weighted": round(sum(weights[f] * row[f"s_{f}"] for f in FACTORS) / 100, 1)}
           for row in scores(db, segment_id)]
    return sorted(out, key=lambda r: (-r["weighted"], r["name"]))


def edge(db: Database, segment_id: int) -> list[str]:
    """Factors where the segment cares (weight ≥ 20) and we beat every rival: where to compete."""
    rows = scores(db, segment_id)
    us = next((r for r in rows if r["is_us"]), None)
    if us is None:
        return []
    weights = weights_of(records.get(db, SEGMENT, segment_id))
    rivals = [r for r in rows if not r["is_us"]]
    return [f for f in FACTORS if weights[f] >= 20 and all(us[f"s_{f}"] > r[f"s_{f}"] for r in rivals)]


def assign(db: Database, actor: User, account_id: int, segment_id: int | None) -> dict[str, Any] | None:
    """Put an account in a segment (or take it out with None)."""
    with store.transaction(db):
        found = store.row(db, "SELECT id, version, segment_id FROM account_segments WHERE account_id = ?",
                          [account_id])
        if segment_id is None:
            if found:
                records.delete(db, actor, MEMBERSHIP, found["id"], found["version"])
            return None
        if found is None:
            return records.create(db, actor, MEMBERSHIP, {"account_id": account_id, "segment_id": segment_id})
        return records.update(db, actor, MEMBERSHIP, found["id"], found["version"], {"segment_id": segment_id})


def segment_of(db: Database, actor: User, account_id: int) -> int | None:
    """The account's segment id, or None."""
    permissions.require_read(db, actor, account_id)
    found = db.execute("SELECT segment_id FROM account_segments WHERE account_id = ?", [account_id]).fetchone()
    return found[0] if found else None


def accounts_in(db: Database, actor: User, segment_id: int) -> list[str]:
    """Names of the readable accounts in a segment."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    return [r[0] for r in db.execute(f"""SELECT a.name FROM account_segments m JOIN accounts a ON a.id = m.account_id
                                          WHERE m.segment_id = ? AND a.id IN ({marks}) ORDER BY a.name""",
                                     [segment_id, *ids]).fetchall()]
