"""The team's assessment of an account and the potential grid (D2).

Per account the team records: scale and industry rank (customer characteristics),
the fit of our value positioning and of its purchase criteria (need match, 1..5),
the potential sales, the share we can obtain, the cooperation horizon, our
competitive position, and the posture the team chose with its rationale. Every
change is versioned and audited.

The grid turns potential × share × horizon into priority 1/2/3 with the
thresholds of the criteria set in force; the recommended posture follows from
the account type and our position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.money_format import Whole
from kamcore.portfolio import tiering
from kamcore.portfolio.tiering import GridThresholds
from kamcore.records import Entity, Record
from kamcore.users import User

HORIZONS = (1, 3, 5)
POSITIONS = ("incumbent", "strong_challenger", "challenger", "outsider")
POSTURES = ("defense", "offense", "flank", "guerrilla")
FIELDS = ("scale", "industry_rank", "value_fit", "purchase_fit", "potential_sales", "obtainable_share",
          "horizon_years", "our_position", "chosen_posture", "rationale")


class PositionIn(Record):
    """An account's assessment; everything but the account may stay unknown."""

    account_id: int
    scale: int | None = Field(default=None, ge=1, le=5)
    industry_rank: int | None = Field(default=None, ge=1, le=10_000)
    value_fit: int | None = Field(default=None, ge=1, le=5)
    purchase_fit: int | None = Field(default=None, ge=1, le=5)
    potential_sales: Whole | None = Field(default=None, ge=0, allow_inf_nan=False)
    obtainable_share: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    horizon_years: Literal[1, 3, 5] | None = None
    our_position: Literal["incumbent", "strong_challenger", "challenger", "outsider"] | None = None
    chosen_posture: Literal["defense", "offense", "flank", "guerrilla"] | None = None
    rationale: str = Field(default="", max_length=2000)


ENTITY = Entity("account_position", "account_positions", PositionIn, money_fields={"potential_sales": "account"})


def band(value: float, low: float, high: float) -> int:
    """0 below `low`, 1 from `low` up to `high`, 2 above `high`."""
    if value < low:
        return 0
    return 1 if value <= high else 2


@dataclass(frozen=True)
class GridCell:
    """Where an account sits on the grid and the priority it earns."""

    sales_band: int
    share_band: int
    horizon_band: int
    points: int
    priority: int


def grid_cell(potential_sales: float | None, obtainable_share: float | None, horizon_years: int | None,
              grid: GridThresholds) -> GridCell | None:
    """Potential × share × horizon → priority 1/2/3 (None until all three are known)."""
    if potential_sales is None or obtainable_share is None or horizon_years is None:
        return None
    sales = band(potential_sales, grid.sales_low, grid.sales_high)
    share = band(obtainable_share, grid.share_low, grid.share_high)
    horizon = HORIZONS.index(horizon_years) if horizon_years in HORIZONS else 0
    points = sales + share + horizon
    priority = 1 if points >= grid.priority1_points else 2 if points >= grid.priority2_points else 3
    return GridCell(sales, share, horizon, points, priority)


def recommended_posture(account_type: str | None, our_position: str | None) -> str | None:
    """D2: defend where we are the incumbent; attack head-on as a strong challenger (not against an
    entrenched strategic partnership: flank it); flank as a general challenger; guerrilla from outside."""
    if our_position is None:
        return None
    if our_position == "incumbent":
        return "defense"
    if our_position == "strong_challenger":
        return "flank" if account_type == "strategic" else "offense"
    if our_position == "challenger":
        return "flank"
    return "guerrilla"


def _row(db: Database, account_id: int) -> dict[str, Any] | None:
    return store.row(db, "SELECT * FROM account_positions WHERE account_id = ?", [account_id])


def save_position(db: Database, actor: User, account_id: int, base_version: int | None,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """Create the account's assessment (base_version None) or change it on the version it was read at."""
    current = _row(db, account_id)
    if current is None:
        return records.create(db, actor, ENTITY, {"account_id": account_id, **changes})
    return records.update(db, actor, ENTITY, current["id"], base_version or 0, changes)


def get_position(db: Database, user: User, account_id: int) -> dict[str, Any] | None:
    """The account's assessment with grid cell, priority, recommended and chosen posture; None if unassessed."""
    permissions.require_read(db, user, account_id)
    row = _row(db, account_id)
    if row is None:
        return None
    definition = _definition(db)
    tier = tiering.assignments(db, [account_id]).get(account_id)
    account_type = tier["account_type"] if tier else tiering.type_for(row, definition)
    return _enrich(row, account_type, definition.grid)


def _definition(db: Database) -> tiering.Definition:
    active = tiering.active_criteria(db)
    return active["parsed"] if active else tiering.parse_definition(tiering.DEFAULT_DEFINITION)


def _enrich(row: dict[str, Any], account_type: str | None, grid: GridThresholds) -> dict[str, Any]:
    cell = grid_cell(row["potential_sales"], row["obtainable_share"], row["horizon_years"], grid)
    return {
        **row,
        "account_type": account_type,
        "cell": cell,
        "priority": cell.priority if cell else None,
        "recommended_posture": recommended_posture(account_type, row["our_position"]),
    }


def grid(db: Database, actor: User) -> list[dict[str, Any]]:
    """Every readable account's assessment on the grid (assessed accounts only), highest priority first."""
    ids = permissions.readable_account_ids(db, actor)
    if not ids:
        return []
    definition = _definition(db)
    tiers = tiering.assignments(db, ids)
    marks = ",".join("?" for _ in ids)
    found = store.rows(db, f"""SELECT p.*, a.name, a.currency FROM account_positions p JOIN accounts a ON a.id = p.account_id
                               WHERE p.account_id IN ({marks})""", ids)
    out = []
    for row in found:
        tier = tiers.get(row["account_id"])
        account_type = tier["account_type"] if tier else tiering.type_for(row, definition)
        out.append(_enrich(row, account_type, definition.grid))
    out.sort(key=lambda r: (r["priority"] or 9, -(r["potential_sales"] or 0)))
    return out
