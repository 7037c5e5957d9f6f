"""The customer's decision chain (D4): stakeholders, their part in opportunities, and the links between them.

A stakeholder carries level, buying roles (a validated set, stored as
comma-separated text in canonical order), stance, relationship score (-1…3),
the rival they favour, our owner (someone on the account's team), interests,
needs and notes. The D4 profile-sheet fields (`profile_*`) are personal data:
only the account's own team sees or sets them (`permissions.can_see_private`),
the audit log never holds their values (hidden), and `erase_profile` removes
them on request without leaving a copy.

Relationship history (every score and stance change with its date) is read
from the audit log rather than kept in a second table: every path that changes
a stakeholder (forms, table edits, restore from History, the backdated demo)
goes through `records`, which writes the audit rows in the same transaction as
the change, so the log is complete by construction and cannot drift from the
row. A second table would need every one of those paths (including
`audit.restore`, which knows nothing of stakeholders) to remember to write it.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.decision_chain import scale
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.read_models import Stakeholder
from kamcore.records import Entity, Record
from kamcore.store import transaction
from kamcore.users import User

LEVELS = ("decision", "management", "execution")
BUYING_ROLES = ("decision_maker", "technical_evaluator", "purchaser", "user")
PARTICIPATION_ROLES = (*BUYING_ROLES, "influencer")
STANCES = ("coach", "supporter", "neutral", "opponent", "blocker")
SCORES = (-1, 0, 1, 2, 3)
LINK_KINDS = ("reports_to", "influences", "conflict")
PROFILE_FIELDS = (
    "profile_personal",
    "profile_personality",
    "profile_career",
    "profile_family",
    "profile_social",
    "profile_resume",
)
STAGES = ("stranger", "familiar", "personal_trust", "interest", "organisational_trust")  # D8
STANDINGS = ("vendor", "credible_source", "problem_solver", "trusted_advisor")  # our standing with the person
MARKS = ("key_contact", "inner_circle", "executive_sponsor", "champion")
KEY_PERSON_FIELDS = ("kp_governance", "kp_expertise", "kp_style", "kp_purchase_share")  # D4's four factors
CHECKIN_CLASSES = (20, 40, 60, 80)
TARGET_FIELDS = ("stage", "stage_target", "standing", "standing_target", "target_date")
PUBLIC_FIELDS = (
    "name", "job_title", "department", "level", "roles", "stance", "score", "favoured_rival", "owner_id",
    "org_interests", "personal_interests", "needs", "notes", *TARGET_FIELDS, *MARKS, "checkin_days",
    *KEY_PERSON_FIELDS,
)
PAGE_SIZE = 200

Level = Literal["decision", "management", "execution"]
Stage = Literal["stranger", "familiar", "personal_trust", "interest", "organisational_trust"]
Standing = Literal["vendor", "credible_source", "problem_solver", "trusted_advisor"]
Stance = Literal["coach", "supporter", "neutral", "opponent", "blocker"]


def parse_roles(raw: Any) -> list[str]:
    """Buying roles from a list or comma-separated text, in canonical order; unknown roles raise."""
    if raw is None:
        return []
    if not isinstance(raw, (str, list, tuple, set, frozenset)):
        raise PydanticCustomError("reason.unknown_role", "unknown buying role {value}", {"value": str(raw)[:40]})
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    found = {str(item).strip() for item in items if str(item).strip()}
    unknown = sorted(found - set(BUYING_ROLES))
    if unknown:
        raise PydanticCustomError("reason.unknown_role", "unknown buying role {value}", {"value": unknown[0]})
    return [r for r in BUYING_ROLES if r in found]


def role_list(stored: str | None) -> list[str]:
    """The roles of a stored row as a list (no validation: the database only holds valid sets)."""
    return [r for r in (stored or "").split(",") if r]


class StakeholderIn(Record):
    """One person in the customer's decision chain."""

    account_id: int
    name: str = Field(min_length=1, max_length=120)
    job_title: str = Field(default="", max_length=120)
    department: str = Field(default="", max_length=80)
    level: Level = "execution"
    roles: str = ""
    stance: Stance = "neutral"
    score: int = Field(default=0, ge=-1, le=3)
    favoured_rival: str = Field(default="", max_length=80)
    owner_id: int | None = None
    org_interests: str = Field(default="", max_length=1000)
    personal_interests: str = Field(default="", max_length=1000)
    needs: str = Field(default="", max_length=2000)
    notes: str = Field(default="", max_length=4000)
    stage: Stage | None = None
    stage_target: Stage | None = None
    standing: Standing | None = None
    standing_target: Standing | None = None
    target_date: date | None = None
    key_contact: bool | None = None
    inner_circle: bool | None = None
    executive_sponsor: bool | None = None
    champion: bool | None = None
    checkin_days: Literal[20, 40, 60, 80] | None = None
    kp_governance: str | None = Field(default=None, max_length=1000)
    kp_expertise: str | None = Field(default=None, max_length=1000)
    kp_style: str | None = Field(default=None, max_length=1000)
    kp_purchase_share: int | None = Field(default=None, ge=0, le=100)
    profile_personal: str | None = Field(default=None, max_length=2000)
    profile_personality: str | None = Field(default=None, max_length=2000)
    profile_career: str | None = Field(default=None, max_length=2000)
    profile_family: str | None = Field(default=None, max_length=2000)
    profile_social: str | None = Field(default=None, max_length=2000)
    profile_resume: str | None = Field(default=None, max_length=4000)

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, value: Any) -> str:
        return ",".join(parse_roles(value))

    @model_validator(mode="after")
    def _one_scale(self) -> StakeholderIn:
        """The score is the measure, the stance its label: a path that changes one alone (restore from History)
        brings the other along; the use cases refuse an explicit mismatched pair before this."""
        self.stance = scale.stance_for(self.score, self.stance)  # type: ignore[assignment]
        return self

    @field_validator(*PROFILE_FIELDS, mode="before")
    @classmethod
    def _blank_is_not_collected(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def _owner_on_team(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """Our owner of a relationship is someone on the account's team."""
    owner = values.get("owner_id")
    if owner is None:
        return
    on_team = db.execute(
        "SELECT 1 FROM account_team WHERE account_id = ? AND user_id = ?", [values["account_id"], owner]
    ).fetchone()
    if not on_team:
        raise ValidationError.single("owner_id", "reason.owner_not_on_team")


ENTITY = Entity(
    "stakeholder",
    "stakeholders",
    StakeholderIn,
    hidden_fields=frozenset(PROFILE_FIELDS),
    private_fields=frozenset(PROFILE_FIELDS),
    extra_checks=(_owner_on_team,),
)


def precheck_choices(values: dict[str, Any], checks: dict[str, tuple[str, tuple[Any, ...]]]) -> None:
    """Refuse an unknown choice under its own label before validation.

    `field.level` and `field.kind` are shared i18n keys that other features label differently
    ("Technical level", "Barrier"), so a bad stakeholder level or link kind is reported as
    `stakeholder_level` / `link_kind` / `action_kind` instead.
    """
    for name, (label, allowed) in checks.items():
        if name in values and values[name] not in allowed:
            raise ValidationError.single(label, "reason.literal_error", expected=", ".join(map(str, allowed)))


def _target_date_ahead(values: dict[str, Any]) -> None:
    """A target date given now must not lie in the past (a date already set stays as it is)."""
    raw = values.get("target_date")
    if raw in (None, ""):
        return
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        return  # validation names the bad date
    if day < clock.today():
        raise ValidationError.single("target_date", "reason.target_date_past", today=clock.today().isoformat())


def target_warnings(row: dict[str, Any]) -> list[str]:
    """Warnings (i18n keys) that do not stop a save: a target below the current level is allowed but said."""
    out = []
    for now, goal, ladder in (("stage", "stage_target", STAGES), ("standing", "standing_target", STANDINGS)):
        if row.get(now) in ladder and row.get(goal) in ladder and ladder.index(row[goal]) < ladder.index(row[now]):
            out.append(f"warn.{goal}_below_current")
    return out


def _explicit_pair(values: dict[str, Any]) -> None:
    """A stance and score given together must be a pair the one scale allows (else a clear refusal)."""
    stance, score = values.get("stance"), values.get("score")
    if stance in STANCES and isinstance(score, int) and not isinstance(score, bool):
        scale.check_pair(stance, score)


def _require_private(db: Database, actor: User, account_id: int, values: dict[str, Any]) -> None:
    touched = [f for f in PROFILE_FIELDS if f in values and values[f] not in (None, "")]
    if touched and not permissions.can_see_private(db, actor, account_id):
        raise PermissionDenied("err.profile_team_only")


def create_stakeholder(db: Database, actor: User, account_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Add a person to an account's decision chain."""
    permissions.require_edit(db, actor, account_id)
    precheck_choices(values, {"level": ("stakeholder_level", LEVELS)})
    _require_private(db, actor, account_id, values)
    values = scale.reconcile(None, values)
    _explicit_pair(values)
    _target_date_ahead(values)
    row = records.create(db, actor, ENTITY, {**values, "account_id": account_id})
    return _visible(db, actor, row)


def update_stakeholder(db: Database, actor: User, stakeholder_id: int, base_version: int,
                       changes: dict[str, Any]) -> dict[str, Any]:
    """Change a stakeholder last seen at `base_version`; profile fields only by the account's team."""
    current = records.get(db, ENTITY, stakeholder_id)
    permissions.require_read(db, actor, current["account_id"])
    precheck_choices(changes, {"level": ("stakeholder_level", LEVELS)})
    if any(f in changes for f in PROFILE_FIELDS) and not permissions.can_see_private(
        db, actor, current["account_id"]
    ):
        raise PermissionDenied("err.profile_team_only")
    changes = scale.reconcile(current, changes)
    _explicit_pair(changes)
    if str(changes.get("target_date") or "") != str(current.get("target_date") or ""):
        _target_date_ahead(changes)
    row = records.update(db, actor, ENTITY, stakeholder_id, base_version, changes)
    return _visible(db, actor, row)


def erase_profile(db: Database, actor: User, stakeholder_id: int, base_version: int,
                  fields: tuple[str, ...] | list[str] = PROFILE_FIELDS) -> dict[str, Any]:
    """Erase profile-sheet fields on the person's request; no copy stays in the audit log."""
    current = records.get(db, ENTITY, stakeholder_id)
    held = [f for f in fields if f not in PROFILE_FIELDS or current.get(f) is not None]
    if not held:
        permissions.require_edit(db, actor, current["account_id"])
        return _visible(db, actor, current)
    row = records.redact(db, actor, ENTITY, stakeholder_id, base_version, held)
    return _visible(db, actor, row)


def delete_stakeholder(db: Database, actor: User, stakeholder_id: int, base_version: int) -> None:
    """Remove a person with their links, opportunity roles and planned actions (each audited); visits keep their
    record but no longer point at the person."""
    actions, visits = records.entity("relationship_action"), records.entity("visit")  # relationships build on this
    current = records.get(db, ENTITY, stakeholder_id)
    permissions.require_edit(db, actor, current["account_id"])
    with transaction(db):
        for link in store.rows(db, "SELECT id, version FROM stakeholder_links WHERE from_id = ? OR to_id = ?",
                               [stakeholder_id, stakeholder_id]):
            records.delete(db, actor, LINK_ENTITY, link["id"], link["version"])
        for part in store.rows(db, "SELECT id, version FROM stakeholder_opportunities WHERE stakeholder_id = ?",
                               [stakeholder_id]):
            records.delete(db, actor, PARTICIPATION_ENTITY, part["id"], part["version"])
        for act in store.rows(db, "SELECT id, version FROM relationship_actions WHERE stakeholder_id = ?",
                              [stakeholder_id]):
            records.delete(db, actor, actions, act["id"], act["version"])
        for visit in store.rows(db, "SELECT id, version FROM visits WHERE stakeholder_id = ?", [stakeholder_id]):
            records.update(db, actor, visits, visit["id"], visit["version"],
                           {"stakeholder_id": None})
        records.delete(db, actor, ENTITY, stakeholder_id, base_version)


def _visible(db: Database, actor: User, row: dict[str, Any]) -> dict[str, Any]:
    """The row as this actor may see it: profile fields blanked for anyone outside the account's team."""
    out = dict(row)
    out["profile_visible"] = permissions.can_see_private(db, actor, row["account_id"])
    if not out["profile_visible"]:
        for f in PROFILE_FIELDS:
            out[f] = None
    out["role_list"] = role_list(row.get("roles"))
    out["warnings"] = target_warnings(row)
    return out


def get_stakeholder(db: Database, actor: User, stakeholder_id: int) -> Stakeholder:
    """One stakeholder the actor may read (profile fields only for the account's team)."""
    row = records.get(db, ENTITY, stakeholder_id)
    permissions.require_read(db, actor, row["account_id"])
    return _visible(db, actor, row)


def list_stakeholders(
    db: Database,
    actor: User,
    account_id: int,
    *,
    department: str | None = None,
    stance: str | None = None,
    opportunity_id: int | None = None,
    search: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[Stakeholder]:
    """An account's stakeholders with their owner's name, filtered and paged in SQL (no profile fields)."""
    permissions.require_read(db, actor, account_id)
    where, params = _stakeholder_filters(account_id, department, stance, opportunity_id, search)
    cols = ", ".join(f"s.{c}" for c in ("id", "account_id", *PUBLIC_FIELDS, "version", "updated_at"))
    found = store.rows(
        db,
        f"""SELECT {cols}, u.display_name AS owner_name
            FROM stakeholders s LEFT JOIN users u ON u.id = s.owner_id
            WHERE {where}
            ORDER BY CASE s.level WHEN 'decision' THEN 0 WHEN 'management' THEN 1 ELSE 2 END, s.name
            LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    for row in found:
        row["role_list"] = role_list(row["roles"])
    return found


def count_stakeholders(db: Database, actor: User, account_id: int, *, department: str | None = None,
                       stance: str | None = None, opportunity_id: int | None = None,
                       search: str | None = None) -> int:
    """How many stakeholders match the same filters as `list_stakeholders`."""
    permissions.require_read(db, actor, account_id)
    where, params = _stakeholder_filters(account_id, department, stance, opportunity_id, search)
    return db.execute(f"SELECT count(*) FROM stakeholders s WHERE {where}", params).fetchone()[0]


def _stakeholder_filters(account_id: int, department: str | None, stance: str | None,
                         opportunity_id: int | None, search: str | None) -> tuple[str, list[Any]]:
    clauses, params = ["s.account_id = ?"], [account_id]
    if department:
        clauses.append("s.department = ?")
        params.append(department)
    if stance:
        clauses.append("s.stance = ?")
        params.append(stance)
    if opportunity_id is not None:
        clauses.append("s.id IN (SELECT stakeholder_id FROM stakeholder_opportunities WHERE opportunity_id = ?)")
        params.append(opportunity_id)
    if search:
        clauses.append("(s.name LIKE ? OR s.job_title LIKE ? OR s.department LIKE ?)")
        params.extend([f"%{search}%"] * 3)
    return " AND ".join(clauses), params


def departments(db: Database, actor: User, account_id: int) -> list[str]:
    """The departments named on an account's stakeholders, for filter pickers."""
    permissions.require_read(db, actor, account_id)
    return [r[0] for r in db.execute(
        "SELECT DISTINCT department FROM stakeholders WHERE account_id = ? AND department <> '' ORDER BY 1",
        [account_id],
    ).fetchall()]


def owner_choices(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """Team members who can own a relationship (id, name, role)."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT u.id, u.display_name AS name, t.role FROM account_team t JOIN users u ON u.id = t.user_id
           WHERE t.account_id = ? AND u.active = 1 ORDER BY u.display_name""",
        [account_id],
    )


# --- participation in opportunities -------------------------------------------------------------


class ParticipationIn(Record):
    """A stakeholder's part in one opportunity."""

    account_id: int
    stakeholder_id: int
    opportunity_id: int
    role: Literal["decision_maker", "technical_evaluator", "purchaser", "user", "influencer"]
    note: str = Field(default="", max_length=500)


def _same_account(db: Database, table: str, row_id: int | None, account_id: int, field_name: str) -> None:
    if row_id is None:
        return
    found = db.execute(f"SELECT account_id FROM [{table}] WHERE id = ?", [row_id]).fetchone()
    if found is None:
        raise ValidationError.single(field_name, "reason.not_found_here")
    if found[0] != account_id:
        raise ValidationError.single(field_name, "reason.other_account")


def _participation_checks(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    _same_account(db, "stakeholders", values["stakeholder_id"], values["account_id"], "stakeholder_id")
    _same_account(db, "opportunities", values["opportunity_id"], values["account_id"], "opportunity_id")
    taken = db.execute(
        "SELECT 1 FROM stakeholder_opportunities WHERE stakeholder_id = ? AND opportunity_id = ? AND id IS NOT ?",
        [values["stakeholder_id"], values["opportunity_id"], row_id],
    ).fetchone()
    if taken:
        raise ValidationError.single("opportunity_id", "reason.already_taking_part")


PARTICIPATION_ENTITY = Entity(
    "stakeholder_opportunity", "stakeholder_opportunities", ParticipationIn,
    extra_checks=(_participation_checks,),
)


def add_participation(db: Database, actor: User, account_id: int, stakeholder_id: int, opportunity_id: int,
                      role: str, note: str = "") -> dict[str, Any]:
    """Record that a stakeholder takes part in an opportunity, and in what role."""
    return records.create(db, actor, PARTICIPATION_ENTITY, {
        "account_id": account_id, "stakeholder_id": stakeholder_id, "opportunity_id": opportunity_id,
        "role": role, "note": note,
    })


def list_participation(db: Database, actor: User, account_id: int,
                       opportunity_id: int | None = None) -> list[dict[str, Any]]:
    """Who takes part in which of the account's opportunities, with names."""
    permissions.require_read(db, actor, account_id)
    extra, params = ("AND p.opportunity_id = ?", [opportunity_id]) if opportunity_id is not None else ("", [])
    return store.rows(
        db,
        f"""SELECT p.id, p.version, p.stakeholder_id, p.opportunity_id, p.role, p.note,
                   s.name AS stakeholder_name, s.score, s.stance, s.owner_id,
                   o.name AS opportunity_name, o.number AS opportunity_number
            FROM stakeholder_opportunities p
            JOIN stakeholders s ON s.id = p.stakeholder_id
            JOIN opportunities o ON o.id = p.opportunity_id
            WHERE p.account_id = ? {extra}
            ORDER BY o.number, s.name""",
        [account_id, *params],
    )


def opportunity_choices(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's opportunities (id, number, name, status) for pickers and map filters."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        "SELECT id, number, name, status FROM opportunities WHERE account_id = ? "
        "ORDER BY status = 'open' DESC, number",
        [account_id],
    )


# --- links --------------------------------------------------------------------------------------


class LinkIn(Record):
    """A relation between two people of the same account."""

    account_id: int
    from_id: int
    to_id: int
    kind: Literal["reports_to", "influences", "conflict"]
    strength: int = Field(default=2, ge=1, le=3)
    note: str = Field(default="", max_length=500)


def _link_checks(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    _same_account(db, "stakeholders", values["from_id"], values["account_id"], "from_id")
    _same_account(db, "stakeholders", values["to_id"], values["account_id"], "to_id")
    if values["from_id"] == values["to_id"]:
        raise ValidationError.single("to_id", "reason.link_to_self")
    a, b, kind = values["from_id"], values["to_id"], values["kind"]
    pairs = [(a, b), (b, a)] if kind == "conflict" else [(a, b)]
    for x, y in pairs:
        if db.execute(
            "SELECT 1 FROM stakeholder_links WHERE from_id = ? AND to_id = ? AND kind = ? AND id IS NOT ?",
            [x, y, kind, row_id],
        ).fetchone():
            raise ValidationError.single("to_id", "reason.duplicate_link")
    if kind == "reports_to" and _reports_up_to(db, start=b, target=a, ignore_link=row_id):
        raise ValidationError.single("to_id", "reason.reports_to_cycle")


def _reports_up_to(db: Database, start: int, target: int, ignore_link: int | None) -> bool:
    """Does following reports-to links upward from `start` reach `target`?"""
    found = db.execute(
        """WITH RECURSIVE up(id) AS (
               SELECT ?
               UNION
               SELECT l.to_id FROM stakeholder_links l JOIN up ON l.from_id = up.id
               WHERE l.kind = 'reports_to' AND l.id IS NOT ?
           ) SELECT 1 FROM up WHERE id = ? LIMIT 1""",
        [start, ignore_link, target],
    ).fetchone()
    return found is not None


LINK_ENTITY = Entity("stakeholder_link", "stakeholder_links", LinkIn, extra_checks=(_link_checks,))


def add_link(db: Database, actor: User, account_id: int, from_id: int, to_id: int, kind: str,
             strength: int = 2, note: str = "") -> dict[str, Any]:
    """Link two people of one account: `from_id` reports to / influences / is in conflict with `to_id`."""
    precheck_choices({"kind": kind}, {"kind": ("link_kind", LINK_KINDS)})
    return records.create(db, actor, LINK_ENTITY, {
        "account_id": account_id, "from_id": from_id, "to_id": to_id, "kind": kind,
        "strength": strength, "note": note,
    })


def update_link(db: Database, actor: User, link_id: int, base_version: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a link's ends, kind, strength or note (same checks as adding)."""
    precheck_choices(changes, {"kind": ("link_kind", LINK_KINDS)})
    return records.update(db, actor, LINK_ENTITY, link_id, base_version, changes)


def delete_link(db: Database, actor: User, link_id: int, base_version: int) -> None:
    """Remove a link."""
    records.delete(db, actor, LINK_ENTITY, link_id, base_version)


def list_links(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """An account's links with both names."""
    permissions.require_read(db, actor, account_id)
    return store.rows(
        db,
        """SELECT l.id, l.version, l.from_id, l.to_id, l.kind, l.strength, l.note,
                  a.name AS from_name, b.name AS to_name
           FROM stakeholder_links l JOIN stakeholders a ON a.id = l.from_id JOIN stakeholders b ON b.id = l.to_id
           WHERE l.account_id = ? ORDER BY l.kind, a.name, b.name""",
        [account_id],
    )


# --- relationship history (from the audit log) ---------------------------------------------------


def score_history(db: Database, actor: User, stakeholder_id: int) -> list[dict[str, Any]]:
    """Every score and stance a stakeholder has had, oldest first: {at, day, score, stance, changed}."""
    row = store.row(db, "SELECT account_id FROM stakeholders WHERE id = ?", [stakeholder_id])
    account_id = row["account_id"] if row else _deleted_account(db, stakeholder_id)
    permissions.require_read(db, actor, account_id)
    events = db.execute(
        """SELECT at, field, new_value FROM audit_log
           WHERE entity = 'stakeholder' AND entity_id = ? AND field IN ('score', 'stance')
             AND action IN ('create', 'update', 'restore')
           ORDER BY id""",
        [stakeholder_id],
    ).fetchall()
    out: list[dict[str, Any]] = []
    state: dict[str, Any] = {"score": None, "stance": None}
    for at, fld, new in events:
        state[fld] = records.decode(new)
        if out and out[-1]["at"] == at:
            out[-1].update(state)
            out[-1]["changed"] = "both" if out[-1]["changed"] != fld else fld
            continue
        out.append({"at": at, "day": at[:10], **state, "changed": fld})
    return out


def _deleted_account(db: Database, stakeholder_id: int) -> int:
    found = db.execute(
        "SELECT account_id FROM audit_log WHERE entity = 'stakeholder' AND entity_id = ? LIMIT 1", [stakeholder_id]
    ).fetchone()
    if found is None:
        records.get(db, ENTITY, stakeholder_id)  # raises NotFoundError
    return found[0]


def month_ends(end: date, months: int) -> list[date]:
    """The last day of each of the `months` months up to `end` (the final one is `end` itself)."""
    out: list[date] = []
    year, month = end.year, end.month
    for _ in range(months):
        last = date(year, month, calendar.monthrange(year, month)[1])
        out.append(min(last, end))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(out)


def account_heat(db: Database, actor: User, account_id: int, *, months: int = 12, by: str = "department",
                 end: date | None = None) -> list[dict[str, Any]]:
    """Average relationship score per month-end and group (`by`: department, level, or '' for the whole account).

    Reconstructed from the audit log, so a stakeholder counts from the month they were added until the
    month they were removed, with the score they had then. Rows: {period, group, avg_score, people}.
    """
    permissions.require_read(db, actor, account_id)
    if by not in ("department", "level", ""):
        raise ValidationError.single("by", "reason.literal_error", expected="department, level")
    fields = ["score"] + ([by] if by else [])
    marks = ",".join("?" for _ in fields)
    events = db.execute(
        f"""SELECT at, entity_id, field, action, new_value FROM audit_log
            WHERE account_id = ? AND entity = 'stakeholder' AND field IN ({marks})
            ORDER BY at, id""",
        [account_id, *fields],
    ).fetchall()
    periods = month_ends(end or clock.today(), months)
    state: dict[int, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    index = 0
    for period in periods:
        limit = (period + timedelta(days=1)).isoformat()
        while index < len(events) and events[index][0] < limit:
            _at, sid, fld, action, new = events[index]
            if action == "delete":
                state.pop(sid, None)
            else:
                state.setdefault(sid, {})[fld] = records.decode(new)
            index += 1
        groups: dict[str, list[int]] = {}
        for person in state.values():
            if person.get("score") is None:
                continue
            groups.setdefault(str(person.get(by) or "—") if by else "", []).append(person["score"])
        for group, scores in sorted(groups.items()):
            out.append({"period": period.isoformat(), "group": group,
                        "avg_score": round(sum(scores) / len(scores), 2), "people": len(scores)})
    return out
