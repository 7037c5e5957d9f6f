"""What changed since the last huddle: the audit log turned into readable sentences.

Generic over audit rows: every entity kind is described by its field labels
(`field.<name>`) and choice labels (`<field>.<value>`), so entities added later
appear without code here. A few fields get special phrasing because the huddle
cares about them: stage moves, amounts, close dates, won/lost, relationship
scores and stances, shares and goals, new flags.

Rows are grouped into events (one save = one actor, one moment, one record) and
events into items (one record), each with a link to the page that shows it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcore import audit, clock, money, store
from kamcore.i18n import field_label, has, t
from kamcore.users import User

# Records that are the meeting's own bookkeeping, not news.
SKIPPED_ENTITIES = frozenset({"huddle"})
# Recording a decision or action is the minutes of the last huddle, not news; closing one is.
SKIPPED_CREATES = frozenset({"huddle_item"})
# Where each kind of record is shown (url_path of its page); unknown kinds link to History.
ENTITY_PAGES: dict[str, str] = {
    "account": "account",
    "team_member": "account",
    "huddle_item": "huddle",
    "comment": "my_work",
    "goal": "plan",
    "account_plan": "plan",
    "share_plan": "whitespace",
    "barrier_action": "plan",
    "purchase_factor": "plan",
    "opportunity": "opportunities",
    "stakeholder": "decision_chain",
    "stakeholder_link": "decision_chain",
    "relationship_action": "relationships",
    "visit": "relationships",
    "retrospective": "retrospectives",
    "improvement_action": "retrospectives",
    "lesson": "retrospectives",
    "flag": "health",
    "flag_ack": "health",
    "financials": "financials",
    "proposal": "proposal",
    "proposal_step": "proposal",
    "proposal_role": "proposal",
    "proposal_requirement": "proposal",
    "win_theme": "proposal",
    "qbr": "reviews",
    "qbr_commitment": "reviews",
    "rhythm_entry": "rhythm",
    "segment": "segments",
    "segment_score": "segments",
    "account_segment": "segments",
}
WON_LOST = {"won", "lost", "closed_won", "closed_lost", "dropped", "abandoned"}
FLAG_ENTITIES = ("flag", "rule_flag", "health_flag", "alert")
# Areas a room reads changes by, in the order they are shown; each entity belongs to one.
AREAS: dict[str, tuple[str, ...]] = {
    "deals": ("opportunity", "criterion_check", "stakeholder_opportunity", "competitor", "comparison_item",
              "qualification", "discovery"),
    "people": ("stakeholder", "stakeholder_link", "relationship_action", "visit", "profile"),
    "plan": ("goal", "share_plan", "account_plan", "barrier_action", "purchase_factor", "financials", "account_tier"),
    "learning": ("retrospective", "retro_factor", "improvement_action", "lesson", "flag", "flag_ack"),
    "meeting": ("huddle_item", "huddle_remark", "comment"),
    "account": ("account", "team_member"),
}
AREA_OF = {entity: area for area, entities in AREAS.items() for entity in entities}
OTHER_AREA = "other"
# Which choice list a field's values come from, where its own name is not the choice kind.
CHOICE_KINDS: dict[tuple[str, str], str] = {
    ("huddle_item", "status"): "item_status", ("huddle_item", "kind"): "item_kind",
    ("opportunity", "status"): "opp_status", ("opportunity", "kind"): "opp_kind",
    ("relationship_action", "status"): "action_status", ("relationship_action", "kind"): "action_kind",
    ("barrier_action", "status"): "barrier_status", ("visit", "status"): "visit_status",
    ("retrospective", "status"): "retro_status", ("share_plan", "status"): "share_status",
    ("huddle", "status"): "huddle_status", ("account", "status"): "status", ("stakeholder_link", "kind"): "link_kind",
    ("improvement_action", "status"): "item_status", ("huddle_remark", "role"): "remark_role",
}
WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}


@dataclass
class Line:
    """One readable sentence about one save."""

    at: str
    actor: str
    text: str
    highlight: bool = False


@dataclass
class FeedItem:
    """Everything that happened to one record since the given moment."""

    entity: str
    entity_id: int
    account_id: int | None
    account_name: str
    title: str
    link: str
    lines: list[Line] = field(default_factory=list)
    created: bool = False
    deleted: bool = False

    @property
    def highlight(self) -> bool:
        return self.created or self.deleted or any(line.highlight for line in self.lines)


def day_label(at: str, lang: str, today: date | None = None, zone: str | None = None) -> str:
    """A short day for a timestamp, in the reader's zone: weekday within a week, else the date ("Tue", "Nov 12" /
    "周二", "11月12日")."""
    day = clock.local(at, zone).date()
    if today is not None and 0 <= (today - day).days < 7:
        return WEEKDAYS.get(lang, WEEKDAYS["en"])[day.weekday()]
    return f"{day.month}月{day.day}日" if lang == "zh" else day.strftime("%b ") + str(day.day)


def _choice_key(entity: str, field_name: str, value: str) -> str | None:
    """The translation key of a choice value: the entity's own list, the field's list, or any `*_<field>` list."""
    kind = CHOICE_KINDS.get((entity, field_name))
    for key in ([f"{kind}.{value}"] if kind else []) + [f"{field_name}.{value}"]:
        if has(key):
            return key
    return _ANY_KIND.get((field_name, value))


def _index_choice_kinds() -> dict[tuple[str, str], str]:
    from kamcore.i18n import TABLE

    out: dict[tuple[str, str], str] = {}
    for key in sorted(TABLE):
        kind, _, value = key.partition(".")
        if value and "." not in value and "_" in kind:
            out.setdefault((kind.rsplit("_", 1)[-1], value), key)
    return out


_ANY_KIND = _index_choice_kinds()


def _structured(value: Any) -> Any:
    """A JSON list or object stored as text, parsed; anything else unchanged."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _label_of_key(key: str, lang: str) -> str:
    for candidate in (f"indicator.{key}", f"field.{key}", f"factor.{key}", f"metric.{key}"):
        if has(candidate):
            return t(candidate, lang)
    return key.replace("_", " ")


def summarise(value: Any, lang: str) -> str:
    """A list or object as a short phrase, never raw JSON ("3 items", "Scale 10, Value fit 15")."""
    if isinstance(value, dict):
        parts = [f"{_label_of_key(str(k), lang)} {_plain(v)}" for k, v in list(value.items())[:4]]
        return ", ".join(parts) + (" …" if len(value) > 4 else "")
    if isinstance(value, list):
        keyed = [v for v in value if isinstance(v, dict) and "key" in v]
        if keyed and len(keyed) == len(value):
            amount = "points" if all("points" in v for v in keyed) else "value"
            return ", ".join(f"{_label_of_key(str(v['key']), lang)} {_plain(v.get(amount))}" for v in keyed[:4]) + (
                " …" if len(keyed) > 4 else "")
        return t("feed.items", lang, count=len(value))
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if isinstance(value, (dict, list)):
        return "…"
    return str(value)


def _diff_structured(old: Any, new: Any, lang: str) -> str | None:
    """What moved between two keyed lists ("Cumulative revenue +6, Scale −2"), or None when not comparable."""
    def points(value: Any) -> dict[str, float] | None:
        if isinstance(value, list) and value and all(isinstance(v, dict) and "key" in v for v in value):
            amount = "points" if all("points" in v for v in value) else "value"
            try:
                return {str(v["key"]): float(v.get(amount) or 0) for v in value}
            except (TypeError, ValueError):
                return None
        if isinstance(value, dict) and value and all(isinstance(v, (int, float)) for v in value.values()):
            return {str(k): float(v) for k, v in value.items()}
        return None

    before, after = points(old) or {}, points(new)
    if after is None:
        return None
    moves = [(k, after.get(k, 0.0) - before.get(k, 0.0)) for k in dict.fromkeys([*before, *after])]
    moves = [(k, d) for k, d in moves if abs(d) >= 0.05]
    if not moves:
        return t("feed.no_net_change", lang)
    moves.sort(key=lambda m: -abs(m[1]))
    return ", ".join(f"{_label_of_key(k, lang)} {d:+.1f}".replace("-", "−") for k, d in moves[:4]) + (
        " …" if len(moves) > 4 else "")


def value_text(field_name: str, value: Any, lang: str, entity: str = "", stages: dict[str, tuple[str, str]] | None = None,
               zone: str | None = None, currency: str | None = None) -> str:
    """THE formatter of one audit value per (entity, field), for What changed, History and Home's feed: choice
    labels translated, numbers grouped, blanks as a dash, stages by their configured names, timestamps in the
    reader's zone (`clock.stamp`), an amount (`currency` given: a money field, `Entity.money_fields`) with its
    currency and unit, lists and objects summarised. References arrive already named
    (`audit.with_reference_names`)."""
    if value is None or value == "":
        return "—"
    if currency and _number(value) is not None and not isinstance(value, bool):
        return money.fmt(_number(value), currency, lang)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    value = _structured(value)
    if isinstance(value, (dict, list)):
        return summarise(value, lang)
    if field_name == "stage" and stages and value in stages:
        return stages[value][1] if lang == "zh" else stages[value][0]
    if isinstance(value, str) and (key := _choice_key(entity, field_name, value)):
        return t(key, lang)
    if clock.is_iso_moment(value):
        return clock.stamp(value, lang, zone)
    if _date(value):
        return clock.day_text(value, lang, zone)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and abs(value) >= 10000:
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    """A YYYY-MM-DD value as a date (None for anything else)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def describe_change(entity: str, field_name: str, old: Any, new: Any, lang: str,
                    stages: dict[str, tuple[str, str]] | None = None, zone: str | None = None,
                    currency: str | None = None) -> tuple[str, bool]:
    """One field change as a sentence and whether it deserves attention ("Stage: Proposal → Negotiation"); an
    amount (`currency` given) with its currency and unit ("Target: CNY 62.50 M → CNY 65.62 M")."""
    label = field_label(field_name, lang, entity)
    old_s, new_s = _structured(old), _structured(new)
    if isinstance(new_s, (dict, list)) or isinstance(old_s, (dict, list)):
        moved = _diff_structured(old_s, new_s, lang)
        return t("feed.change_summary", lang, field=label, summary=moved or summarise(new_s, lang)), False
    before = value_text(field_name, old, lang, entity, stages, zone, currency)
    after = value_text(field_name, new, lang, entity, stages, zone, currency)
    base = t("feed.change", lang, field=label, old=before, new=after)
    lowered = field_name.lower()
    if lowered in ("stage", "status") and isinstance(new, str) and new.lower() in WON_LOST and entity != "huddle_item":
        return t("feed.closed", lang, field=label, old=before, new=after), True
    if lowered == "stage":
        return base, True
    if "score" in lowered or lowered in ("stance", "relationship_level", "level"):
        old_n, new_n = _number(old), _number(new)
        if old_n is not None and new_n is not None and old_n != new_n:
            return base + (" ▲" if new_n > old_n else " ▼"), True
        return base, True
    old_d, new_d = _date(old), _date(new)
    if "date" in lowered or lowered.endswith("_on") or (old_d and new_d):
        if old_d and new_d and old_d != new_d:
            days = (new_d - old_d).days
            key = "feed.date_later" if days > 0 else "feed.date_earlier"
            return base + " " + t(key, lang, days=abs(days)), "close" in lowered or "due" in lowered
        return base, False
    if any(word in lowered for word in ("amount", "value", "revenue", "share", "target", "margin", "budget")):
        old_n, new_n = _number(old), _number(new)
        if old_n and new_n is not None and old_n != new_n:
            pct = (new_n - old_n) / abs(old_n) * 100
            return base + f" ({pct:+.0f}%)", abs(pct) >= 10
        return base, True
    return base, False


def feed(db: Database, actor: User, account_ids: list[int], since: str, lang: str = "en",
         today: date | None = None, limit: int = 2000, *, people: set[str] | None = None,
         areas: set[str] | None = None, zone: str | None = None) -> list[FeedItem]:
    """What changed on these accounts after `since`, one item per record, newest first (and each item's
    lines newest first), days and times in the reader's `zone` (default: the company's).

    `people` keeps only saves by these display names; `areas` only records of these areas (see AREAS).
    """
    rows = audit.with_reference_names(db, audit.changes_since(db, actor, account_ids, since, limit=limit), lang)
    if people is not None:
        rows = [r for r in rows if r["actor"] in people]
    if areas is not None:
        rows = [r for r in rows if area_of(r["entity"]) in areas]
    stages = _stage_names(db)
    account_names = _account_names(db, account_ids)
    items: OrderedDict[tuple[str, int], FeedItem] = OrderedDict()
    events: OrderedDict[tuple[str, int, str, str, str], list[dict[str, Any]]] = OrderedDict()
    for row in rows:
        if row["entity"] in SKIPPED_ENTITIES or (row["action"] == "create" and row["entity"] in SKIPPED_CREATES):
            continue
        events.setdefault((row["entity"], row["entity_id"], row["at"], row["actor"], row["action"]), []).append(row)
    titles = audit.record_titles(db, {(e, i) for e, i, *_ in events}, rows, lang)
    for (entity, entity_id, at, who, action), group in events.items():
        account_id = group[0]["account_id"]
        item = items.get((entity, entity_id))
        if item is None:
            item = FeedItem(entity, entity_id, account_id, account_names.get(account_id, ""),
                            titles.get((entity, entity_id)) or audit.entity_label(entity, lang), link_for(entity, account_id))
            items[(entity, entity_id)] = item
        when = day_label(at, lang, today, zone)
        if action == "create":
            item.created = True
            key = "feed.new_flag" if entity in FLAG_ENTITIES else "feed.created"
            text = t(key, lang, entity=_kind_label(entity, group, lang), title=item.title)
            item.lines.append(Line(at, who, t("feed.by", lang, text=text, actor=who, day=when), True))
        elif action == "delete":
            item.deleted = True
            text = t("feed.deleted", lang, entity=t(f"entity.{entity}", lang), title=item.title)
            item.lines.append(Line(at, who, t("feed.by", lang, text=text, actor=who, day=when), True))
        else:
            for row in group:
                if row["field"] is None:
                    continue
                text, important = describe_change(entity, row["field"], row["old_value"], row["new_value"], lang,
                                                  stages, zone, row.get("currency"))
                if action == "redact":
                    text, important = t("feed.redacted", lang, field=t(f"field.{row['field']}", lang)), False
                item.lines.append(Line(at, who, t("feed.by", lang, text=text, actor=who, day=when), important))
    for item in items.values():
        item.lines.sort(key=lambda line: line.at, reverse=True)
    return sorted(items.values(), key=lambda i: max(line.at for line in i.lines) if i.lines else "", reverse=True)


def area_of(entity: str) -> str:
    """The area a record kind is read under (deals, people, plan, learning, meeting, account, other)."""
    return AREA_OF.get(entity, OTHER_AREA)


def area_names() -> tuple[str, ...]:
    """Every area, in the order they are shown."""
    return (*AREAS, OTHER_AREA)


def grouped(items: list[FeedItem]) -> list[tuple[str, str, list[FeedItem]]]:
    """Feed items grouped by account, then area: (account name, area, items), one group per heading."""
    order = {name: number for number, name in enumerate(area_names())}
    groups: dict[tuple[str, str], list[FeedItem]] = {}
    for item in items:
        groups.setdefault((item.account_name, area_of(item.entity)), []).append(item)
    return [(account, area, found) for (account, area), found in
            sorted(groups.items(), key=lambda g: (g[0][0], order[g[0][1]]))]


def actors(db: Database, actor: User, account_ids: list[int], since: str) -> list[str]:
    """Who changed something on these accounts after `since` (for the person filter)."""
    return sorted({r["actor"] for r in audit.changes_since(db, actor, account_ids, since, limit=5000)})


def sentences(item: FeedItem) -> list[str]:
    """An item as the lines a room reads: a new record is one sentence; a change names the record first."""
    if item.created or item.deleted or len(item.lines) == 0:
        return [line.text for line in item.lines]
    return [f"{item.title}: {line.text}" for line in item.lines]


def _stage_names(db: Database) -> dict[str, tuple[str, str]]:
    from kamcore.pipeline import stage_model

    return {s["key"]: (stage_model.stage_name(s, "en"), stage_model.stage_name(s, "zh"))
            for s in stage_model.list_stages(db, active_only=False)}


def _kind_label(entity: str, group: list[dict[str, Any]], lang: str) -> str:
    """What a new record is: its entity label, or its kind's label when there is one ("New decision: …")."""
    kind = next((r["new_value"] for r in group if r["field"] == "kind"), None)
    key = f"{entity.split('_')[-1]}_kind.{kind}"
    return t(key, lang).lower() if lang == "en" and has(key) else t(key, lang) if has(key) else t(f"entity.{entity}", lang)


def link_for(entity: str, account_id: int | None) -> str:
    """The page (url_path with ?account=) that shows a record of this kind."""
    page = ENTITY_PAGES.get(entity, "history")
    return f"/{page}?account={account_id}" if account_id is not None else f"/{page}"


def _account_names(db: Database, account_ids: list[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    marks = ",".join("?" for _ in account_ids)
    return dict(db.execute(f"SELECT id, name FROM accounts WHERE id IN ({marks})", list(account_ids)).fetchall())


def count_changes(db: Database, actor: User, account_ids: list[int], since: str) -> int:
    """How many audit rows changed these accounts after `since` (for a badge)."""
    if not account_ids:
        return 0
    for account_id in account_ids:
        audit.permissions.require_read(db, actor, account_id)
    marks = ",".join("?" for _ in account_ids)
    return store.row(db, f"SELECT count(*) AS n FROM audit_log WHERE account_id IN ({marks}) AND at > ?",
                     [*account_ids, since])["n"]
