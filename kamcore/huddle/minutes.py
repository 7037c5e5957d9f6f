"""Huddle minutes: the meeting's record as Markdown and as a Word document (DOCX).

Both are built from one `Minutes` value, so they always say the same thing.
DOCX (python-docx) rather than PDF: Word renders Chinese with the reader's own
fonts, and the minutes can be edited and forwarded as teams usually do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kamcore import clock
from kamcore.huddle import huddles
from kamcore.i18n import choice_label, t
from kamcore.text import plain
from kamcore.users import User


@dataclass
class Minutes:
    """What the minutes say, already in the reader's language."""

    title: str
    held_on: str
    accounts: list[str]
    attendees: list[str]
    since: str
    notes: str
    decisions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "en"
    roles: dict[str, str] = field(default_factory=dict)  # presenter_id / reviewer_id / coach_id -> name
    remarks: list[dict[str, Any]] = field(default_factory=list)  # reviewer's questions, coach's recommendations


def gather(db: Database, actor: User, huddle_id: int, lang: str = "en", zone: str | None = None) -> Minutes:
    """Collect a huddle's minutes (permission-checked); times in the reader's `zone` (default: the company's)."""
    huddle = huddles.get_huddle(db, actor, huddle_id)
    items = huddles.list_items(db, actor, huddle_id)
    marks = ",".join("?" for _ in huddles.scope_ids(huddle))
    names = [r[0] for r in db.execute(f"SELECT name FROM accounts WHERE id IN ({marks}) ORDER BY name",
                                      huddles.scope_ids(huddle)).fetchall()]
    return Minutes(
        title=huddle["title"] or t("huddle.default_title", lang, accounts=", ".join(names)),
        held_on=huddle["held_on"],
        accounts=names,
        attendees=huddles.attendee_names(db, huddle),
        since=clock.stamp(huddle["since"], lang, zone),
        notes=huddle["notes"],
        decisions=[i for i in items if i["kind"] == "decision"],
        actions=[i for i in items if i["kind"] == "action"],
        lang=lang,
        roles=huddles.role_names(db, huddle),
        remarks=huddles.list_remarks(db, actor, huddle_id),
    )


def role_lines(minutes: Minutes) -> list[tuple[str, str]]:
    """(role label, name) for each meeting role that is filled."""
    return [(t(f"field.{role}", minutes.lang), name) for role, name in minutes.roles.items() if name]


def remark_lines(minutes: Minutes) -> list[str]:
    """Each question or recommendation as one line: who, about what, what it became."""
    lang = minutes.lang
    out = []
    for r in minutes.remarks:
        section = t(f"present.section.{r['section']}", lang)
        where = f"{r['account_name']} · {section}"
        line = f"{choice_label('remark_role', r['role'], lang)} ({r['author'] or '—'}, {where}): {r['text']}"
        if r["action_id"] is not None:
            line += " " + t("huddle.remark_is_action", lang, owner=r["action_owner"] or "—", due=r["action_due"] or "—",
                            status=choice_label("item_status", r["action_status"], lang))
        out.append(line)
    return out


def _action_cells(item: dict[str, Any], lang: str) -> list[str]:
    return [item["text"], item["owner_name"] or "—", clock.day_text(item["due_on"], lang) if item["due_on"] else "—",
            choice_label("item_status", item["status"], lang), item["account_name"]]


def _headers(lang: str) -> list[str]:
    return [t(k, lang) for k in ("field.text", "field.owner_id", "field.due_on", "field.status", "field.account_id")]


def _md_cell(text: str) -> str:
    return plain(text).replace("\n", " ")


def to_markdown(minutes: Minutes) -> str:
    """The minutes as Markdown (headings, bullet decisions, an action table)."""
    lang = minutes.lang
    esc = plain  # user text reads as typed: no links, images, HTML or headings of its own
    lines = [
        f"# {esc(minutes.title)}",
        "",
        f"- **{t('field.held_on', lang)}:** {clock.day_text(minutes.held_on, lang)}",
        f"- **{t('huddle.scope', lang)}:** {esc(', '.join(minutes.accounts))}",
        f"- **{t('huddle.attendees', lang)}:** {esc(', '.join(minutes.attendees)) if minutes.attendees else '—'}",
        f"- **{t('field.since', lang)}:** {minutes.since}",
        *[f"- **{label}:** {esc(name)}" for label, name in role_lines(minutes)],
        "",
    ]
    if minutes.notes:
        lines += [f"## {t('field.notes', lang)}", "", esc(minutes.notes), ""]
    lines += [f"## {t('huddle.decisions', lang)}", ""]
    lines += [f"- {esc(d['text'])}" + (f" ({esc(d['account_name'])})" if len(minutes.accounts) > 1 else "")
              for d in minutes.decisions] or [f"_{t('huddle.no_decisions', lang)}_"]
    lines += ["", f"## {t('huddle.actions', lang)}", ""]
    if minutes.actions:
        headers = _headers(lang)
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(_md_cell(c) for c in _action_cells(a, lang)) + " |" for a in minutes.actions]
    else:
        lines.append(f"_{t('huddle.no_actions', lang)}_")
    if minutes.remarks:
        lines += ["", f"## {t('minutes.remarks', lang)}", ""]
        lines += [f"- {_md_cell(line)}" for line in remark_lines(minutes)]
    return "\n".join(lines) + "\n"


def to_docx(minutes: Minutes) -> bytes:
    """The minutes as a Word document."""
    from docx import Document
    from docx.oxml.ns import qn

    lang = minutes.lang
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Microsoft YaHei")  # Chinese text in a CJK font
    document.add_heading(minutes.title, level=0)
    for label, value in ((t("field.held_on", lang), clock.day_text(minutes.held_on, lang)),
                         (t("huddle.scope", lang), ", ".join(minutes.accounts)),
                         (t("huddle.attendees", lang), ", ".join(minutes.attendees) or "—"),
                         (t("field.since", lang), minutes.since), *role_lines(minutes)):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    if minutes.notes:
        document.add_heading(t("field.notes", lang), level=1)
        document.add_paragraph(minutes.notes)
    document.add_heading(t("huddle.decisions", lang), level=1)
    for decision in minutes.decisions:
        document.add_paragraph(decision["text"], style="List Bullet")
    if not minutes.decisions:
        document.add_paragraph(t("huddle.no_decisions", lang))
    document.add_heading(t("huddle.actions", lang), level=1)
    if minutes.actions:
        headers = _headers(lang)
        table = document.add_table(rows=1, cols=len(headers))
        table.style = "Light Grid Accent 1"
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = text
        for action in minutes.actions:
            for cell, text in zip(table.add_row().cells, _action_cells(action, lang), strict=True):
                cell.text = str(text)
    else:
        document.add_paragraph(t("huddle.no_actions", lang))
    if minutes.remarks:
        document.add_heading(t("minutes.remarks", lang), level=1)
        for line in remark_lines(minutes):
            document.add_paragraph(line, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def filename(minutes: Minutes, extension: str) -> str:
    """A file name for the download: minutes-<date>-<first account>.<ext>, ASCII-safe."""
    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in
                   (minutes.accounts[0] if minutes.accounts else "huddle")).strip("-").lower() or "huddle"
    return f"minutes-{minutes.held_on}-{stem}.{extension}"
