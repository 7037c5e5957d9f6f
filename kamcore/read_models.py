"""The declared shapes of the results pages read most: a deal, a stakeholder, a goal, an account's card.

TypedDicts, so callers keep reading them as dicts (`deal["amount"]`) while a type checker and a reader see
which keys exist. A row type lists its table's columns; the reading function's additions (joined names,
computed figures) are declared beside them. The fifth, the huddle agenda's item, is the dataclass
`kamcore.huddle.agenda.AgendaItem`. tests/core/test_read_models.py checks every declared key against what
the functions return, so a renamed column or a dropped addition fails there.
"""

from __future__ import annotations

from typing import Any, TypedDict


class DealRow(TypedDict):
    """A row of `opportunities` (amounts in the deal's currency)."""

    id: int
    version: int
    account_id: int
    product_line_id: int
    number: str
    external_id: str | None
    name: str
    kind: str  # lead | opportunity
    amount: float | None
    currency: str
    opened_on: str | None
    expected_close: str | None
    stage: str
    probability: int | None  # an override of the stage's default
    owner_id: int | None
    external_owner: str
    next_step: str
    competitors: str
    status: str  # open | won | lost | no_decision
    close_reason: str
    closed_on: str | None
    converted_on: str | None
    price_quoted_on: str | None
    man_money: int | None  # MAN: money, authority, need (1 yes, 0 no, None not known)
    man_authority: int | None
    man_need: int | None
    follow_up: str | None
    revisit_days: int | None
    notes: str
    created_at: str
    updated_at: str
    updated_by: int | None


class Deal(DealRow, total=False):
    """A deal as `opportunities.list_opportunities` returns it: the row with its names and figures."""

    product_line_code: str
    owner_name: str | None
    account_name: str
    stage_position: int | None
    stage_probability: int | None
    stage_name_en: str | None
    stage_name_zh: str | None
    win_probability: int  # the effective probability (won 100, lost 0, else override or stage default)
    weighted_amount: float | None


class Stakeholder(TypedDict, total=False):
    """A person in the decision chain (`stakeholders.get_stakeholder`; lists leave the profile out)."""

    id: int
    version: int
    account_id: int
    name: str
    job_title: str
    department: str
    level: str  # decision | management | operational
    roles: str  # comma-separated buying roles, canonical order
    stance: str
    score: int  # the one relationship scale, -1..3
    owner_id: int | None
    owner_name: str | None
    stage: str | None
    stage_target: str | None
    standing: str | None
    standing_target: str | None
    target_date: str | None
    updated_at: str
    role_list: list[str]  # get_stakeholder: `roles` as a list
    warnings: list[str]  # get_stakeholder: i18n keys of what does not stop a save (a target below today)
    profile_visible: bool  # get_stakeholder: whether the profile fields were read (the account's team only)


class Goal(TypedDict, total=False):
    """A goal of the account plan (`goals.list_goals`), with its effective actual and where that comes from."""

    id: int
    version: int
    account_id: int
    year: int
    quarter: int | None
    quadrant: str
    metric: str
    title: str
    product_line_id: int | None
    product_line_code: str | None
    target: float
    actual: float | None  # the effective actual: measured where the metric has a source, else as typed
    actual_source: str
    typed_actual: float | None  # what was typed, kept beside a measured actual
    actual_reason: str
    actual_by: Any
    actual_at: Any
    owner_id: int
    owner_name: str
    split_am: int
    split_sm: int
    split_dm: int


class AccountCard(TypedDict, total=False):
    """Everything the walk-through and the one-pager show for one account (`overview.account_card`)."""

    id: int
    name: str
    industry: str
    region: str
    status: str
    notes: str
    currency: str
    tier: dict[str, Any] | None  # the tier assignment with its criteria's contributions
    financials: list[dict[str, Any]]
    flags: list[Any]  # fake-key-account flags (kamcore.portfolio.fake_key_accounts.Flag)
    position: dict[str, Any] | None
    facts: dict[str, Any]
    goals: dict[str, Any]  # year, count, score and this year's goal lines
    pipeline: dict[str, Any]  # open deals: count, sums per currency, those closing soon
    relationships: dict[str, Any]
    health: dict[str, Any] | None  # deal-health flags: open, total and the top ones
    health_score: Any
    revenue: Any  # this year's revenue figure for the scorecard
