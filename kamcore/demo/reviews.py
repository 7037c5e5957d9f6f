"""Demo customer review: Jiangnan's third-quarter QBR with the customer's voice, a SWOT and commitments
on both sides (one of ours due next week, one of theirs overdue)."""

from __future__ import annotations

from datetime import timedelta

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.demo.opportunities import TRIANGLES
from kamcore.reviews import qbr


def seed(ctx: DemoContext) -> None:
    """One QBR for Jiangnan Power Grid."""
    db = ctx.db
    am, sm, dm = (ctx.users[u] for u in TRIANGLES["jiangnan"])
    meeting = ctx.today - timedelta(days=39)
    with clock.at(ctx.moment(45, 10)):
        review = qbr.create_qbr(db, am, {
            "account_id": ctx.accounts["jiangnan"]["id"], "title": "Third-quarter business review",
            "year": meeting.year, "quarter": (meeting.month - 1) // 3 + 1, "meeting_on": meeting})
    with clock.at(ctx.moment(39, 17)):
        review = qbr.update_qbr(db, am, review["id"], review["version"], {
            "satisfaction": 7,
            "complaints": "Two gateway firmware updates needed a second site visit\nAlarm reports arrive as PDF only",
            "requests": "Dispatch wants faults grouped by feeder\nTraining in the eastern district before phase two",
            "strengths": "Phase-one reference; local delivery team", "weaknesses": "Unit price above the incumbent",
            "opportunities": "Phase two (~290,000 lines); substation IoT framework tender",
            "threats": "Incumbent meter vendor bundles with meter replacement"})
        for side, text, owner, days, status in (
                ("us", "Alarm export as CSV and API", sm.display_name, 7, "open"),
                ("us", "Eastern district training for 40 dispatchers", dm.display_name, -10, "done"),
                ("customer", "Share the phase-two rollout calendar", "Deputy head of dispatch", -5, "open"),
                ("customer", "Name the technical evaluator for the framework tender", "Procurement office", 12,
                 "open")):
            qbr.add_commitment(db, am, review["id"], {"side": side, "text": text, "owner": owner,
                                                      "due_on": ctx.today + timedelta(days=days), "status": status})
    ctx.extra["qbr"] = review
