"""The shared screen: where the presenter is, so every laptop on the same huddle follows.

One small row per huddle (`huddle_sessions`) holds the account, section and slide on screen,
who moved it last (the presenter, `presenter_id`) and a version that goes up with every move;
followers poll the version and re-render when it changes. It is UI state, not business data,
so it is versioned but not audited (a hundred "next" clicks are not history).

Two presenters moving at once: each move is one statement under BEGIN IMMEDIATE, so the last
move wins and the row names who made it; everyone sees that name. Only editors of every account
of the huddle may move the screen (viewers and executives follow).

A section longer than one slide pages across slides (`LINES_PER_SLIDE`); the lines of a slide
come from `section_lines`, the one place that says what a section shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from kamcore import clock, permissions, store
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.huddle import agenda, huddles, what_changed
from kamcore.i18n import choice_label, t
from kamcore.users import User

SECTIONS = huddles.SECTIONS
LINES_PER_SLIDE = 9


@dataclass(frozen=True)
class SlideLine:
    """One line of a slide: a group heading or an item; `tone` colours its marker."""

    text: str
    heading: bool = False
    tone: str = ""  # critical | warning | info | done | ""
    note: str = ""  # the second, quieter part of the line (owner, how late)


def steps(huddle: dict[str, Any]) -> list[tuple[int, str]]:
    """Every section of a huddle, in order: each account of its scope, each section."""
    return [(account_id, section) for account_id in huddles.scope_ids(huddle) for section in SECTIONS]


def current(db: Database, actor: User, huddle_id: int) -> dict[str, Any]:
    """Where the presentation of this huddle is now (the first screen if nobody has presented yet),
    with the presenter's name and when the screen last moved."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    row = store.row(db, """SELECT s.*, coalesce(u.display_name, '') AS presenter_name FROM huddle_sessions s
                           LEFT JOIN users u ON u.id = s.presenter_id WHERE s.huddle_id = ?""", [huddle_id])
    if row is None or (row["account_id"], row["section"]) not in steps(huddle):
        account_id, section = steps(huddle)[0]
        return {"huddle_id": huddle_id, "account_id": account_id, "section": section, "page": 0,
                "version": row["version"] if row else 0, "presenter_id": None, "presenter_name": "",
                "updated_at": None}
    return row


def version(db: Database, huddle_id: int) -> int:
    """The presentation's version only: the cheap poll followers run every second."""
    found = db.execute("SELECT version FROM huddle_sessions WHERE huddle_id = ?", [huddle_id]).fetchone()
    return found[0] if found else 0


def can_present(db: Database, actor: User, huddle: dict[str, Any]) -> bool:
    """May this person move the shared screen (an editor of every account of the huddle)?"""
    return all(permissions.can_edit(db, actor, a) for a in huddles.scope_ids(huddle))


def _require_presenter(db: Database, actor: User, huddle: dict[str, Any]) -> None:
    if not can_present(db, actor, huddle):
        raise PermissionDenied("err.shared_screen_editors_only")


def go_to(db: Database, actor: User, huddle_id: int, account_id: int, section: str, page: int = 0) -> dict[str, Any]:
    """Put one slide of the huddle on everyone's display; the mover becomes the presenter."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    _require_presenter(db, actor, huddle)
    if account_id not in huddles.scope_ids(huddle):
        raise ValidationError.single("account_id", "reason.not_in_huddle_scope")
    if section not in SECTIONS:
        raise ValidationError.single("section", "reason.literal_error", expected=", ".join(SECTIONS))
    if not isinstance(page, int) or page < 0:
        raise ValidationError.single("page", "reason.greater_than_equal", ge=0)
    now = clock.now_iso()
    with store.transaction(db):
        db.conn.execute(
            """INSERT INTO huddle_sessions (huddle_id, account_id, section, page, presenter_id, version, created_at,
                                            updated_at, updated_by)
               VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
               ON CONFLICT (huddle_id) DO UPDATE SET account_id = excluded.account_id, section = excluded.section,
                   page = excluded.page, presenter_id = excluded.presenter_id,
                   version = huddle_sessions.version + 1,
                   updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
            [huddle_id, account_id, section, page, actor.id, now, now, actor.id],
        )
    return current(db, actor, huddle_id)


def take_over(db: Database, actor: User, huddle_id: int) -> dict[str, Any]:
    """Become the presenter without moving the screen."""
    here = current(db, actor, huddle_id)
    return go_to(db, actor, huddle_id, here["account_id"], here["section"], here["page"])


def step(db: Database, actor: User, huddle_id: int, delta: int, today: date | None = None) -> dict[str, Any]:
    """Move the shared screen one slide forward (delta > 0) or back (delta < 0), crossing into the next or
    previous section at a section's end; stops at the ends of the huddle."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    _require_presenter(db, actor, huddle)
    order = steps(huddle)
    here = current(db, actor, huddle_id)
    position = order.index((here["account_id"], here["section"]))
    page = here["page"]
    pages = slide_count(db, actor, huddle, here["account_id"], here["section"], today)
    page = min(page, pages - 1)
    if delta > 0:
        if page + 1 < pages:
            page += 1
        elif position + 1 < len(order):
            position, page = position + 1, 0
    elif delta < 0:
        if page > 0:
            page -= 1
        elif position > 0:
            position -= 1
            page = slide_count(db, actor, huddle, *order[position], today) - 1
    account_id, section = order[position]
    return go_to(db, actor, huddle_id, account_id, section, page)


def paginate(lines: list[SlideLine], size: int = LINES_PER_SLIDE) -> list[list[SlideLine]]:
    """Lines cut into slides of at most `size`; a heading never ends a slide (it moves to the next one)."""
    slides: list[list[SlideLine]] = [[]]
    for line in lines:
        if len(slides[-1]) >= size or (line.heading and len(slides[-1]) >= size - 1):
            slides.append([])
        slides[-1].append(line)
    return slides


def slide_count(db: Database, actor: User, huddle: dict[str, Any], account_id: int, section: str,
                today: date | None = None) -> int:
    """How many slides one section of one account takes (at least one)."""
    return len(paginate(section_lines(db, actor, huddle, account_id, section, "en", today)))


def section_lines(db: Database, actor: User, huddle: dict[str, Any], account_id: int, section: str,
                  lang: str = "en", today: date | None = None) -> list[SlideLine]:
    """Everything one section of one account shows, in order, as slide lines (headings and items)."""
    day = today or clock.today()
    if section == "changes":
        items = what_changed.feed(db, actor, [account_id], huddle["since"], lang, day)
        out: list[SlideLine] = []
        for _account, area, found in what_changed.grouped(items):
            count = sum(len(i.lines) for i in found)
            out.append(SlideLine(f"{t('area.' + area, lang)} ({count})", heading=True))
            for item in found:
                for text in what_changed.sentences(item):
                    out.append(SlideLine(text, tone="warning" if item.highlight else ""))
        return out
    if section in ("late", "risks"):
        groups = agenda.by_account(db, actor, [account_id], day)[0].groups
        wanted = ("overdue", "due") if section == "late" else ("flags", "closing", "behind")
        out = []
        for key in wanted:
            if not groups[key]:
                continue
            out.append(SlideLine(f"{t('agenda.' + key, lang)} ({len(groups[key])})", heading=True))
            for item in groups[key]:
                note = " · ".join(b for b in (item.urgency(lang), item.owner_name, item.display_detail(lang),
                                              item.display_lesson(lang)) if b)
                out.append(SlideLine(item.display_title(lang), tone=item.severity, note=note))
        return out
    if section == "decisions":
        items = [i for i in huddles.list_items(db, actor, huddle["id"]) if i["account_id"] == account_id]
        out = []
        decisions = [i for i in items if i["kind"] == "decision"]
        actions = [i for i in items if i["kind"] == "action"]
        if decisions:
            out.append(SlideLine(f"{t('huddle.decisions', lang)} ({len(decisions)})", heading=True))
            out += [SlideLine(i["text"], tone="done") for i in decisions]
        if actions:
            out.append(SlideLine(f"{t('huddle.actions', lang)} ({len(actions)})", heading=True))
            out += [SlideLine(i["text"], tone="info" if i["status"] == "open" else "done",
                              note=f"{i['owner_name']} · {i['due_on']} · "
                                   f"{choice_label('item_status', i['status'], lang)}") for i in actions]
        return out
    raise ValidationError.single("section", "reason.literal_error", expected=", ".join(SECTIONS))
