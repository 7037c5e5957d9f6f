"""The huddle agenda: what is late, what is due, what is flagged, what is closing, what is behind.

Each source is one provider function `(db, account_ids, today) -> list[AgendaItem]`
registered in `PROVIDERS`. Every table exists (all migrations always run): a missing
one is a broken database and fails loudly.
Every item names its source record (`source`, e.g. "relationship_action:12"),
so the huddle can turn it into a decision or an action that points back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from kamcore import clock, data_cache, money, permissions, store
from kamcore.huddle.what_changed import link_for
from kamcore.i18n import has, t
from kamcore.learning import rules
from kamcore.plan import goals
from kamcore.proposals import rooms
from kamcore.relationships import guidance
from kamcore.reviews import qbr
from kamcore.users import SYSTEM, User

CLOSING_SOON_DAYS = 30
BEHIND_MARGIN = 0.15  # a goal is behind when attainment trails the elapsed share of its period by this much
SECTIONS = ("overdue", "due", "flags", "closing", "behind")


@dataclass
class AgendaItem:
    """One thing the huddle should talk about."""

    section: str  # overdue | due | flags | closing | behind
    source: str  # "<entity>:<id>" of the record it is about
    account_id: int
    account_name: str
    kind: str  # an i18n key naming what kind of thing this is (e.g. "entity.visit")
    title: str
    due: str | None = None
    owner_id: int | None = None
    owner_name: str = ""
    detail: str = ""
    severity: str = "warning"
    link: str = ""
    title_key: str = ""  # an i18n key naming the item when it has no title of its own (a goal's metric)
    lesson: str = ""  # a health flag's lesson: why the rule exists
    lesson_key: str = ""  # its i18n key for built-in rules
    detail_zh: str = ""  # the detail in Chinese where it names a choice (a deal's stage)
    days_late: int = 0  # overdue: days past the due date (a deal: past its expected close)
    days_left: int | None = None  # not yet due: days until the due date

    def display_detail(self, lang: str = "en") -> str:
        """The detail in the reader's language."""
        return self.detail_zh if lang == "zh" and self.detail_zh else self.detail

    def urgency(self, lang: str = "en") -> str:
        """How late or how soon, in words ("5 days overdue", "due in 3 days"); "" when undated."""
        if self.days_late:
            if self.section == "closing":
                return t("agenda.past_close", lang, days=self.days_late)
            return t("agenda.one_day_overdue" if self.days_late == 1 else "agenda.days_overdue", lang,
                     days=self.days_late)
        if self.days_left is None:
            return ""
        if self.days_left == 0:
            return t("agenda.due_today", lang)
        if self.days_left == 1 and self.section != "closing":
            return t("agenda.due_tomorrow", lang)
        return t("agenda.closes_in" if self.section == "closing" else "agenda.due_in", lang, days=self.days_left)

    def display_title(self, lang: str = "en") -> str:
        """The title in the reader's language."""
        return t(self.title_key, lang) if self.title_key and has(self.title_key) else self.title

    def display_lesson(self, lang: str = "en") -> str:
        """A flag's lesson in the reader's language ("" for other items)."""
        return t(self.lesson_key, lang) if self.lesson_key and has(self.lesson_key) else self.lesson


Provider = Callable[[Database, list[int], date], list[AgendaItem]]
PROVIDERS: list[tuple[str, Provider]] = []


def provider(name: str) -> Callable[[Provider], Provider]:
    """Register an agenda source under a name (its tables are checked when it runs)."""

    def register(func: Provider) -> Provider:
        PROVIDERS.append((name, func))
        return func

    return register


def _marks(ids: list[int]) -> str:
    return ",".join("?" for _ in ids)


def _dated_actions(db: Database, account_ids: list[int], today: date, *, table: str, entity: str, title_sql: str,
                   due_col: str, open_sql: str, kind: str) -> list[AgendaItem]:
    """Open dated actions of one kind that are overdue or due by the end of this calendar week."""
    if not account_ids:
        return []
    horizon = week_end(today).isoformat()
    found = store.rows(
        db,
        f"""SELECT x.id, x.account_id, acc.name AS account_name, {title_sql} AS title, x.{due_col} AS due,
                   x.owner_id, coalesce(u.display_name, '') AS owner_name
            FROM [{table}] x JOIN accounts acc ON acc.id = x.account_id LEFT JOIN users u ON u.id = x.owner_id
            WHERE x.account_id IN ({_marks(account_ids)}) AND {open_sql} AND x.{due_col} <= ?
            ORDER BY x.{due_col}, x.id""",
        [*account_ids, horizon],
    )
    return [
        AgendaItem(
            "overdue" if row["due"] < today.isoformat() else "due", f"{entity}:{row['id']}", row["account_id"],
            row["account_name"], kind, row["title"] or "", row["due"], row["owner_id"],
            row["owner_name"], title_key="" if row["title"] else kind, severity="critical" if row["due"] < today.isoformat() else "warning",
            link=link_for(entity, row["account_id"]),
        )
        for row in found
    ]


@provider("huddle_actions")
def huddle_actions(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Actions agreed in earlier huddles."""
    return _dated_actions(db, account_ids, today, table="huddle_items", entity="huddle_item", title_sql="x.text",
                          due_col="due_on", open_sql="x.kind = 'action' AND x.status = 'open'",
                          kind="entity.huddle_item")


@provider("relationship_actions")
def relationship_actions(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Relationship-plan actions (D8 PDCA)."""
    return _dated_actions(
        db, account_ids, today, table="relationship_actions", entity="relationship_action",
        title_sql="(SELECT s.name FROM stakeholders s WHERE s.id = x.stakeholder_id) || ': ' || "
                  "CASE WHEN x.plan <> '' THEN x.plan ELSE x.kind END",
        due_col="due_date", open_sql="x.status IN ('planned', 'in_progress')", kind="entity.relationship_action")


@provider("visits")
def visits(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Planned visits (D9) not yet done."""
    return _dated_actions(
        db, account_ids, today, table="visits", entity="visit",
        title_sql="CASE WHEN x.goal <> '' THEN x.goal ELSE x.purpose END",
        due_col="planned_on", open_sql="x.status = 'planned'", kind="entity.visit")


@provider("improvement_actions")
def improvement_actions(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Improvement actions from retrospectives (D10)."""
    return _dated_actions(db, account_ids, today, table="improvement_actions", entity="improvement_action",
                          title_sql="x.text", due_col="due_date", open_sql="x.status = 'open'",
                          kind="entity.improvement_action")


@provider("barrier_actions")
def barrier_actions(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Barrier-building actions from the account plan (D2)."""
    return _dated_actions(db, account_ids, today, table="barrier_actions", entity="barrier_action",
                          title_sql="x.action", due_col="due_date", open_sql="x.status = 'open'",
                          kind="entity.barrier_action")


@provider("rule_flags")
def rule_flags(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Live health flags raised by lesson rules (D10), the same the health page shows, unless acknowledged.

    Evaluated through `kamcore.learning.rules` rather than read from the firing log, which is only as fresh as its last
    sweep. `build` has already checked that the actor may read these accounts.
    """
    if not account_ids:
        return []
    flags = [f for account_id in account_ids for f in rules.flags_for_account(db, SYSTEM, account_id)
             if f.acknowledged is None]
    order = {severity: i for i, severity in enumerate(rules.SEVERITIES)}
    flags.sort(key=lambda f: (order[f.severity], f.account_name, f.opportunity_id or 0, f.rule_id))
    return [
        AgendaItem("flags", _flag_source(f), f.account_id, f.account_name, "agenda.kind.flag", f.rule_name,
                   detail=f.opportunity_name or "", severity=f.severity, link=link_for("flag", f.account_id),
                   title_key=f"rule.{f.rule_code}.name" if f.rule_code else "", lesson=f.lesson,
                   lesson_key=f"rule.{f.rule_code}.lesson" if f.rule_code else "")
        for f in flags
    ]


def _flag_source(flag: rules.Flag) -> str:
    """Names the flag: its rule and the deal (or account) it fires on, unique within an agenda."""
    subject = f"opportunity:{flag.opportunity_id}" if flag.opportunity_id is not None else f"account:{flag.account_id}"
    return f"rule:{flag.rule_id}@{subject}"


@provider("account_status")
def account_status(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Accounts the team itself marked at risk."""
    if not account_ids:
        return []
    found = store.rows(db, f"SELECT id, name FROM accounts WHERE id IN ({_marks(account_ids)}) AND status = 'at_risk'",
                       account_ids)
    return [AgendaItem("flags", f"account:{row['id']}", row["id"], row["name"], "agenda.kind.at_risk", row["name"],
                       severity="critical", link=link_for("account", row["id"])) for row in found]


@provider("closing_deals")
def closing_deals(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Open opportunities expected to close within a month, or whose close date has passed."""
    if not account_ids:
        return []
    horizon = (today + timedelta(days=CLOSING_SOON_DAYS)).isoformat()
    found = store.rows(
        db,
        f"""SELECT o.id, o.account_id, acc.name AS account_name, o.name AS title, o.expected_close AS due,
                   o.owner_id, coalesce(u.display_name, '') AS owner_name, o.amount, o.currency, o.stage
            FROM opportunities o JOIN accounts acc ON acc.id = o.account_id LEFT JOIN users u ON u.id = o.owner_id
            WHERE o.account_id IN ({_marks(account_ids)}) AND o.status = 'open' AND o.expected_close IS NOT NULL
              AND o.expected_close <= ?
            ORDER BY o.expected_close, o.amount DESC""",
        [*account_ids, horizon],
    )
    from kamcore.pipeline import stage_model

    stages = {s["key"]: s for s in stage_model.list_stages(db, active_only=False)}

    def stage(key: str, lang: str) -> str:
        return stage_model.stage_name(stages[key], lang) if key in stages else key

    return [
        AgendaItem("closing", f"opportunity:{row['id']}", row["account_id"], row["account_name"],
                   "entity.opportunity", row["title"], row["due"], row["owner_id"], row["owner_name"],
                   detail=f"{money.fmt(row['amount'], row['currency'], 'en')} · {stage(row['stage'], 'en')}",
                   detail_zh=f"{money.fmt(row['amount'], row['currency'], 'zh')} · {stage(row['stage'], 'zh')}",
                   severity="critical" if row["due"] < today.isoformat() else "warning",
                   link=link_for("opportunity", row["account_id"]))
        for row in found
    ]


def expected_share(year: int, quarter: int | None, today: date) -> float:
    """How much of a goal's period has elapsed on `today`, 0..1 (a full year, or one quarter)."""
    if quarter:
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    else:
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
    if today <= start:
        return 0.0
    if today >= end:
        return 1.0
    return (today - start).days / (end - start).days


@provider("goals_behind")
def goals_behind(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Goals whose progress (`goals.progress` of the effective actual — measured where the war room has the
    figure, as the plan and the walk-through show it) trails the elapsed share of their period (D3)."""
    if not account_ids:
        return []
    found = goals.with_actuals(db, store.rows(
        db,
        f"""SELECT g.id, g.account_id, acc.name AS account_name,
                   g.title, g.metric, g.year, g.quarter, g.product_line_id, g.actual_reason,
                   g.target, g.actual, g.owner_id, coalesce(u.display_name, '') AS owner_name
            FROM goals g JOIN accounts acc ON acc.id = g.account_id LEFT JOIN users u ON u.id = g.owner_id
            WHERE g.account_id IN ({_marks(account_ids)}) AND g.year = ? AND g.target > 0
            ORDER BY g.account_id, g.id""",
        [*account_ids, today.year],
    ))
    items = []
    for row in found:
        expected = expected_share(row["year"], row["quarter"], today)
        attained = goals.progress(row["target"], row["actual"]) or 0.0
        if expected - attained >= BEHIND_MARGIN:
            items.append(AgendaItem(
                "behind", f"goal:{row['id']}", row["account_id"], row["account_name"], "entity.goal",
                row["title"] or row["metric"], title_key="" if row["title"] else f"metric.{row['metric']}",
                owner_id=row["owner_id"], owner_name=row["owner_name"],
                detail=f"{attained:.0%} / {expected:.0%}", severity="critical" if attained < expected / 2 else "warning",
                link=link_for("goal", row["account_id"])))
    return items


@provider("proposals")
def proposals(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Live tenders (D13): the countdown to submission and the compliance items still open."""
    return [
        AgendaItem("overdue" if c.days_left < 0 else "due", f"proposal:{c.proposal_id}", c.account_id, c.account_name,
                   "entity.proposal", c.opportunity_name, c.deadline.isoformat(), c.next_owner_id, c.next_owner_name,
                   detail=t("agenda.open_requirements", "en", count=c.open_requirements),
                   detail_zh=t("agenda.open_requirements", "zh", count=c.open_requirements),
                   severity="critical" if c.days_left <= 2 else "warning", link=link_for("proposal", c.account_id))
        for c in rooms.proposal_countdowns(db, account_ids, today)
    ]


@provider("customer_commitments")
def customer_commitments(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Commitments made at a customer review (QBR), ours and the customer's, overdue or due soon."""
    return [
        AgendaItem("overdue" if row["overdue"] else "due", f"qbr_commitment:{row['id']}", row["account_id"],
                   row["account_name"], "entity.qbr_commitment", row["text"], row["due_on"], None, row["owner"],
                   detail=row["qbr_title"], severity="critical" if row["overdue"] else "warning",
                   link=link_for("qbr_commitment", row["account_id"]))
        for row in qbr.commitments_due(db, account_ids, today)
    ]


@provider("key_people_not_contacted")
def key_people_not_contacted(db: Database, account_ids: list[int], today: date) -> list[AgendaItem]:
    """Key people nobody has contacted for longer than the admin-set number of days (D8 freshness)."""
    names = {a: n for a, n in db.execute(
        f"SELECT id, name FROM accounts WHERE id IN ({_marks(account_ids)})", list(account_ids)).fetchall()} \
        if account_ids else {}
    items = []
    for person in guidance.key_people_not_contacted(db, account_ids, today=today):
        days = person["days_since"]
        key = "agenda.never_contacted" if days is None else "agenda.not_contacted"
        items.append(AgendaItem(
            "flags", f"stakeholder:{person['stakeholder_id']}", person["account_id"], names.get(person["account_id"], ""),
            "entity.stakeholder", person["name"], detail=t(key, "en", days=days), detail_zh=t(key, "zh", days=days),
            severity="warning", link=link_for("stakeholder", person["account_id"])))
    return items


def build(db: Database, actor: User, account_ids: list[int], today: date | None = None) -> dict[str, list[AgendaItem]]:
    """The agenda for these accounts, by section, every provider asked once."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    day = today or clock.today()
    out: dict[str, list[AgendaItem]] = {section: [] for section in SECTIONS}
    last_day = week_end(day).isoformat()
    for _name, func in PROVIDERS:
        for item in func(db, list(account_ids), day):
            if item.section == "due" and (item.due or "")[:10] > last_day:
                continue  # "due this week" is this calendar week, Monday to Sunday, whatever a source looks ahead
            out[item.section].append(item)
    for section in ("overdue", "due"):
        out[section].sort(key=lambda i: (i.due or "", i.account_name))
    for items in out.values():
        for item in items:
            _date_it(item, day)
    return out


def week_end(today: date) -> date:
    """The Sunday that ends the calendar week of `today` (a company-zone day, `clock.today()`): "due this
    week" means up to and including it."""
    return clock.week_of(today)[1]


def _date_it(item: AgendaItem, today: date) -> None:
    """Set how many days late (or left) a dated item is."""
    if not item.due:
        return
    days = (date.fromisoformat(item.due[:10]) - today).days
    item.days_late, item.days_left = (-days, None) if days < 0 else (0, days)


@dataclass
class AccountAgenda:
    """One account's part of the agenda, by urgency (overdue, due this week, flags, closing, behind)."""

    account_id: int
    account_name: str
    groups: dict[str, list[AgendaItem]]

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.groups.values())

    def counts(self) -> dict[str, int]:
        """How many items each urgency group of this account holds."""
        return {section: len(items) for section, items in self.groups.items()}


TOP_PER_GROUP = 3  # the items of each urgency shown first; the rest are counted and one click away


def _groups(db: Database, account_ids: list[int], day: date) -> dict[int, dict[str, list[AgendaItem]]]:
    """{account id: {section: its items, most severe first}}. Kept per account (`data_cache.per_account`):
    a write to one account of a huddle recomputes that account's part only. The items are shared between
    sessions: read-only."""
    rank = {"critical": 0, "warning": 1, "info": 2}

    def compute(ids: list[int]) -> dict[int, dict[str, list[AgendaItem]]]:
        built = build(db, SYSTEM, ids, day)  # the caller has checked that the actor may read these accounts
        out = {}
        for account_id in ids:
            groups = {section: [i for i in built[section] if i.account_id == account_id] for section in SECTIONS}
            for section in ("flags", "closing", "behind"):
                groups[section].sort(key=lambda i: (rank.get(i.severity, 3), -i.days_late, i.due or "9999"))
            groups["overdue"].sort(key=lambda i: -i.days_late)
            out[account_id] = groups
        return out

    return data_cache.per_account(db, "huddle.agenda", account_ids, compute, key=day.isoformat())


def by_account(db: Database, actor: User, account_ids: list[int], today: date | None = None) -> list[AccountAgenda]:
    """The agenda grouped by account (most urgent account first), then by urgency; most severe items first."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    grouped = _groups(db, list(account_ids), today or clock.today())
    names = dict(db.execute(f"SELECT id, name FROM accounts WHERE id IN ({_marks(account_ids)})",
                            list(account_ids)).fetchall()) if account_ids else {}
    out = []
    for account_id in account_ids:
        groups = {section: list(items) for section, items in grouped[account_id].items()}
        out.append(AccountAgenda(account_id, names.get(account_id, ""), groups))
    out.sort(key=lambda a: (-len(a.groups["overdue"]), -len(a.groups["flags"]), a.account_name))
    return out


def counts_by_account(db: Database, actor: User, account_ids: list[int],
                      today: date | None = None) -> dict[int, dict[str, int]]:
    """How many agenda items each account has in each urgency group (the figure the page shows; the weekly
    digest mail says it too)."""
    return {a.account_id: a.counts() for a in by_account(db, actor, account_ids, today)}


def for_owner(db: Database, actor: User, owner_id: int, today: date | None = None) -> list[AgendaItem]:
    """Every open dated action owned by one person across the accounts the actor can see (My work)."""
    ids = permissions.readable_account_ids(db, actor)
    day = today or clock.today()
    items: list[AgendaItem] = []
    far = day + timedelta(days=3650)  # "my work" lists everything open, not just this week
    for name, func in PROVIDERS:
        if name in ("huddle_actions", "relationship_actions", "visits", "improvement_actions", "barrier_actions"):
            items += [i for i in func(db, ids, far) if i.owner_id == owner_id]
    for item in items:
        item.section = "overdue" if (item.due or "") < day.isoformat() else "due"
        item.severity = "critical" if item.section == "overdue" else "info"
    return sorted(items, key=lambda i: (i.due or "", i.account_name))
