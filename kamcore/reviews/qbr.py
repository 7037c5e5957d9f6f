"""A quarterly business review with the customer: agenda, what we delivered against the goals, the
customer's voice (satisfaction, complaints, requests), a SWOT, and commitments on both sides with
owners and dates — exported as a print-ready page. Open commitments feed the huddle agenda."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import clock, money, permissions, records, store
from kamcore.errors import ValidationError
from kamcore.i18n import choice_label, t
from kamcore.plan import goals
from kamcore.records import Entity, Record
from kamcore.users import User

SIDES = ("us", "customer")
STATUSES = ("open", "done", "dropped")
DUE_SOON_DAYS = 14
VOICE = ("complaints", "requests")
SWOT = ("strengths", "weaknesses", "opportunities", "threats")


class QbrIn(Record):
    """The review itself."""

    account_id: int
    title: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    meeting_on: date
    agenda: str = Field(default="", max_length=4000)
    satisfaction: int | None = Field(default=None, ge=1, le=10)
    complaints: str = Field(default="", max_length=4000)
    requests: str = Field(default="", max_length=4000)
    strengths: str = Field(default="", max_length=2000)
    weaknesses: str = Field(default="", max_length=2000)
    opportunities: str = Field(default="", max_length=2000)
    threats: str = Field(default="", max_length=2000)

    @field_validator("satisfaction", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if value == "" else value


class CommitmentIn(Record):
    """A promise made at the review, by us or by the customer, with its owner and date."""

    account_id: int
    qbr_id: int
    side: Literal["us", "customer"]
    text: str = Field(min_length=1, max_length=1000)
    owner: str = Field(min_length=1, max_length=120)
    due_on: date
    status: Literal["open", "done", "dropped"] = "open"


def _same_account(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    found = db.execute("SELECT account_id FROM qbrs WHERE id = ?", [values["qbr_id"]]).fetchone()
    if found is None or found[0] != values["account_id"]:
        raise ValidationError.single("qbr_id", "reason.qbr_unknown")


QBR = Entity("qbr", "qbrs", QbrIn)
COMMITMENT = Entity("qbr_commitment", "qbr_commitments", CommitmentIn, extra_checks=(_same_account,))


def default_agenda(lang: str = "en") -> str:
    """The usual running order of a review, to start from."""
    return t("qbr.default_agenda", lang)


def create_qbr(db: Database, actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Prepare a review for an account (the agenda starts from the usual running order)."""
    data = dict(values)
    if not data.get("agenda"):
        data["agenda"] = default_agenda(actor.lang)
    return records.create(db, actor, QBR, data)


def update_qbr(db: Database, actor: User, qbr_id: int, base_version: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the agenda, the customer's voice or the SWOT, refusing a stale version."""
    return records.update(db, actor, QBR, qbr_id, base_version, changes)


def get_qbr(db: Database, actor: User, qbr_id: int) -> dict[str, Any]:
    """One review the actor may read, with its account's name."""
    row = records.get(db, QBR, qbr_id)
    permissions.require_read(db, actor, row["account_id"])
    name = db.execute("SELECT name FROM accounts WHERE id = ?", [row["account_id"]]).fetchone()
    return {**row, "account_name": name[0] if name else ""}


def list_qbrs(db: Database, actor: User, account_id: int) -> list[dict[str, Any]]:
    """The account's reviews, newest first."""
    permissions.require_read(db, actor, account_id)
    return store.rows(db, "SELECT * FROM qbrs WHERE account_id = ? ORDER BY meeting_on DESC, id DESC", [account_id])


def add_commitment(db: Database, actor: User, qbr_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Record a commitment made at the review."""
    head = get_qbr(db, actor, qbr_id)
    return records.create(db, actor, COMMITMENT, {**values, "account_id": head["account_id"], "qbr_id": qbr_id})


def update_commitment(db: Database, actor: User, row_id: int, base_version: int,
                      changes: dict[str, Any]) -> dict[str, Any]:
    """Mark a commitment done or dropped, or change it."""
    return records.update(db, actor, COMMITMENT, row_id, base_version, changes)


def commitments(db: Database, actor: User, qbr_id: int) -> list[dict[str, Any]]:
    """The review's commitments, ours first, by date."""
    get_qbr(db, actor, qbr_id)
    return store.rows(db, "SELECT * FROM qbr_commitments WHERE qbr_id = ? ORDER BY side = 'customer', due_on, id",
                      [qbr_id])


def delivered(db: Database, actor: User, qbr: dict[str, Any]) -> list[dict[str, Any]]:
    """What we delivered against the account's goals of that quarter (and the full year), with attainment."""
    rows = [g for g in goals.list_goals(db, actor, qbr["account_id"], qbr["year"])
            if g["quarter"] in (None, qbr["quarter"])]
    currency = (db.execute("SELECT currency FROM accounts WHERE id = ?", [qbr["account_id"]]).fetchone() or [""])[0]
    return [{"title": g["title"], "metric": g["metric"], "quarter": g["quarter"], "target": g["target"],
             "actual": g["actual"], "currency": currency if g["metric"] in goals.MONEY_METRICS else "",
             "product_line": g["product_line_name"] or "",
             "attainment": goals.progress(g["target"], g["actual"])}
            for g in rows]


def commitments_due(db: Database, account_ids: list[int], today: date,
                    days: int = DUE_SOON_DAYS) -> list[dict[str, Any]]:
    """Open commitments (both sides) due within `days` or overdue — for the huddle agenda."""
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    rows = store.rows(db, f"""SELECT c.*, a.name AS account_name, q.title AS qbr_title FROM qbr_commitments c
                              JOIN accounts a ON a.id = c.account_id JOIN qbrs q ON q.id = c.qbr_id
                              WHERE c.account_id IN ({marks}) AND c.status = 'open' AND c.due_on <= ?
                              ORDER BY c.due_on, a.name""", [*account_ids, (today + timedelta(days=days)).isoformat()])
    for row in rows:
        row["overdue"] = row["due_on"] < today.isoformat()
    return rows


def goal_label(goal: dict[str, Any], lang: str = "en") -> str:
    """A delivered goal in words, each part once: its title (else its measure), then the product line by name."""
    return " · ".join(x for x in (goal["title"] or choice_label("metric", goal["metric"], lang), goal["product_line"])
                      if x)


def figure(goal: dict[str, Any], value: float | None, lang: str = "en") -> str:
    """A delivered target or actual: an amount with its currency (`money.fmt`) for a money goal, else the number."""
    if goal["currency"]:
        return money.fmt(value, goal["currency"], lang)
    return "—" if value is None else f"{value:,.0f}"


def _figure(value: float | None, spec: str) -> str:
    """A number for the printout ("—" when there is none)."""
    return "—" if value is None else format(value, spec)


def export_html(db: Database, actor: User, qbr_id: int, lang: str = "en") -> str:
    """The review as a print-ready HTML page; every piece of user text is escaped."""
    q = get_qbr(db, actor, qbr_id)
    e = html.escape

    def para(text: str) -> str:
        lines = [e(line) for line in (text or "").splitlines() if line.strip()]
        return "<br>".join(lines) or "—"

    goal_rows = "".join(
        f"<tr><td>{e(goal_label(g, lang))}</td>"
        f"<td class=n>{e(figure(g, g['target'], lang))}</td><td class=n>{e(figure(g, g['actual'], lang))}</td>"
        f"<td class=n>{_figure(g['attainment'], '.0%')}</td></tr>"
        for g in delivered(db, actor, q))
    promise_rows = "".join(
        f"<tr><td>{e(choice_label('qbr_side', c['side'], lang))}</td><td>{e(c['text'])}</td><td>{e(c['owner'])}</td>"
        f"<td>{e(str(c['due_on']))}</td><td>{e(choice_label('commitment_status', c['status'], lang))}</td></tr>"
        for c in commitments(db, actor, qbr_id))
    swot = "".join(f"<div class=box><h3>{e(t(f'field.{k}', lang))}</h3><p>{para(q[k])}</p></div>" for k in SWOT)
    head = [t("qbr.goal", lang), t("qbr.target", lang), t("qbr.actual", lang),
            t("qbr.attainment", lang)]
    chead = [t("qbr.side", lang), t("qbr.commitment", lang), t("field.owner", lang), t("field.due_on", lang),
             t("field.status", lang)]
    satisfaction = "—" if q["satisfaction"] is None else f"{q['satisfaction']} / 10"
    return f"""<!doctype html><html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{e(q['account_name'])} · {e(q['title'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#1f2328}}h1{{margin-bottom:0}}
table{{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}}td,th{{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top}}td.n{{text-align:right}}.grid{{display:grid;grid-template-columns:1fr 1fr;gap:8px}}
.box{{border:1px solid #d0d7de;padding:4px 12px}}@media print{{body{{margin:0}}}}</style></head><body>
<h1>{e(q['account_name'])} — {e(q['title'])}</h1>
<p>{e(t('qbr.period', lang, year=q['year'], quarter=q['quarter']))} · {e(str(q['meeting_on']))}</p>
<h2>{e(t('field.agenda', lang))}</h2><p>{para(q['agenda'])}</p>
<h2>{e(t('qbr.delivered', lang))}</h2>
<table><tr>{''.join(f'<th>{e(h)}</th>' for h in head)}</tr>{goal_rows or '<tr><td colspan=5>—</td></tr>'}</table>
<h2>{e(t('qbr.voice', lang))}</h2>
<p><b>{e(t('field.satisfaction', lang))}:</b> {e(satisfaction)}</p>
<p><b>{e(t('field.complaints', lang))}:</b><br>{para(q['complaints'])}</p>
<p><b>{e(t('field.requests', lang))}:</b><br>{para(q['requests'])}</p>
<h2>SWOT</h2><div class=grid>{swot}</div>
<h2>{e(t('qbr.commitments', lang))}</h2>
<table><tr>{''.join(f'<th>{e(h)}</th>' for h in chead)}</tr>{promise_rows or '<tr><td colspan=5>—</td></tr>'}</table>
<p style="color:#57606a">{e(t('qbr.printed', lang, day=clock.today().isoformat()))}</p></body></html>"""
