"""Demo tenders (D13): a live one in its last days with open compliance items, and a lost one whose
outcome opened its retrospective."""

from __future__ import annotations

from datetime import date, timedelta

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.demo.opportunities import TRIANGLES, _deal
from kamcore.learning import retrospectives
from kamcore.proposals import rooms
from kamcore.proposals.timeline import working_day

LIVE_REQUIREMENTS = [
    # ref, requirement, answer, status, evidence, owner (0 AM, 1 SM, 2 DM)
    ("2.1", "Edge gateways certified for substation EMC level 4", "Certified, test report attached", "compliant",
     "CNAS report 2025-114", 1),
    ("2.4", "Alarm to dispatch within 60 seconds", "Typical 12 s; phase-one measurement", "compliant",
     "Phase-one acceptance log", 1),
    ("3.2", "On-site spare parts within 4 hours in every district", "Drafting with the delivery partner", "drafted",
     "", 2),
    ("3.5", "Five-year price lock on gateways", "", "open", "", 0),
    ("4.1", "Local-language operations manual and training", "", "open", "", 2),
    ("5.3", "Open interface to the dispatch system", "Documented REST interface", "partial",
     "Interface spec v2; dispatch-side adapter still to build", 1),
]


def _working_days_back(day: date, count: int) -> date:
    """The date `count` working days before `day`."""
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _live(ctx: DemoContext) -> None:
    """Jiangnan's substation IoT framework tender: working day 8 of 10 today, three items still open."""
    db = ctx.db
    am, sm, dm = (ctx.users[u] for u in TRIANGLES["jiangnan"])
    deal = _deal(ctx, "jiangnan", "IOT", "Substation IoT framework tender", 12_000,
                 [("lead", 40), ("qualify", 30), ("needs", 20), ("solution", 12)], expected_in=25,
                 extra={"competitors": "Incumbent meter vendor, Rival A",
                        "next_step": "Close the open compliance items before the red-team review"})
    start = _working_days_back(ctx.today, 7)
    with clock.at(ctx.moment((ctx.today - start).days, 9)):
        head = rooms.open_proposal(db, am, deal["id"], start_on=start)
        for role, who in (("bid_manager", am), ("solution_lead", sm), ("pricing_lead", am), ("writer", dm),
                          ("reviewer", ctx.users["zhang.min"]), ("executive_sponsor", ctx.users["chen.jie"])):
            rooms.add_part(db, am, "role", head["id"], {"role": role, "user_id": who.id})
        head = rooms.update_proposal(db, am, head["id"], head["version"], {
            "decision": "bid", "decision_reason": "Phase-one reference, dispatch integration nobody else offers; "
                                                  "budget approved for this year"})
    steps = {s["step"]: s for s in rooms.parts(db, am, head["id"])["step"]}
    owners = {"compliance": sm, "win_themes": am, "pricing": am, "approval": ctx.users["chen.jie"], "review": sm,
              "submission": am}
    for step, who in owners.items():
        row = steps[step]
        with clock.at(ctx.moment((ctx.today - start).days, 11)):
            rooms.update_part(db, am, "step", row["id"], row["version"], {"owner_id": who.id})
    with clock.at(ctx.moment((ctx.today - working_day(start, 2)).days, 10)):
        head = rooms.update_proposal(db, am, head["id"], head["version"], {"kickoff_on": working_day(start, 2)})
    team = (am, sm, dm)
    for index, (ref, text, answer, status, evidence, owner) in enumerate(LIVE_REQUIREMENTS):
        with clock.at(ctx.moment((ctx.today - working_day(start, 3 + index % 4)).days, 14)):
            rooms.add_part(db, team[owner], "requirement", head["id"], {
                "ref": ref, "requirement": text, "answer": answer, "status": status, "evidence": evidence,
                "owner_id": team[owner].id})
    with clock.at(ctx.moment((ctx.today - working_day(start, 5)).days, 16)):
        rooms.add_part(db, am, "theme", head["id"], {
            "theme": "Faults seen within the hour, not after billing",
            "differentiators": "Dispatch integration already live in phase one\nAlarm-to-dispatch in 12 seconds\n"
                               "Local delivery team in every district",
            "proof": "Phase-one acceptance log; reference call with the eastern district"})
        rooms.add_part(db, sm, "theme", head["id"], {
            "theme": "Lower five-year cost, not lowest unit price",
            "differentiators": "Remote firmware updates cut truck rolls\nOne operations contract for gateways and "
                               "analytics", "proof": "Truck-roll savings model"})
        steps = {s["step"]: s for s in rooms.parts(db, am, head["id"])["step"]}
        rooms.update_part(db, am, "step", steps["win_themes"]["id"], steps["win_themes"]["version"],
                          {"status": "done"})
    ctx.extra["proposal_live"] = rooms.get_proposal(db, am, head["id"])


def _lost(ctx: DemoContext) -> None:
    """Xibei Metro's line-4 dispatch communications tender: submitted, lost on price, retrospective opened."""
    db = ctx.db
    am, sm, dm = (ctx.users[u] for u in TRIANGLES["xibei"])
    deal = _deal(ctx, "xibei", "CORE", "Line 4 dispatch communications tender", 8_600,
                 [("lead", 120), ("qualify", 100), ("needs", 80), ("solution", 60)], expected_in=-30,
                 extra={"competitors": "Rival A"})
    start = _working_days_back(ctx.today, 40)
    with clock.at(ctx.moment((ctx.today - start).days, 9)):
        head = rooms.open_proposal(db, am, deal["id"], start_on=start, cycle_days=12)
        rooms.add_part(db, am, "role", head["id"], {"role": "bid_manager", "user_id": am.id})
        rooms.add_part(db, am, "role", head["id"], {"role": "solution_lead", "user_id": sm.id})
        head = rooms.update_proposal(db, am, head["id"], head["version"], {
            "decision": "bid", "decision_reason": "Tender centre invited us; design institute knows our ring design",
            "kickoff_on": working_day(start, 2)})
        rooms.add_part(db, sm, "requirement", head["id"], {
            "ref": "1.3", "requirement": "Dual-ring redundancy on every station", "answer": "Standard design",
            "status": "compliant", "owner_id": sm.id, "evidence": "Design note DN-14"})
        rooms.add_part(db, dm, "requirement", head["id"], {
            "ref": "6.2", "requirement": "Penalty of 1% per day of delay", "answer": "Capped at 5%",
            "status": "partial", "owner_id": dm.id})
    with clock.at(ctx.moment((ctx.today - working_day(start, 12)).days, 16)):
        head = rooms.update_proposal(db, am, head["id"], head["version"], {
            "submitted_on": working_day(start, 12),
            "price_note": "List minus 8%, approved by the region; no room left for the final round"})
    with clock.at(ctx.moment((ctx.today - working_day(start, 25)).days, 11)):
        head = rooms.record_outcome(db, am, head["id"], head["version"], "lost",
                                    "Price 11% above the winner; the tender centre weighted price at 60% and we "
                                    "read the design institute's preference as the decision")
        retrospectives.add_factor(db, am, head["retrospective_id"], {
            "dimension": "commercial", "polarity": "failure", "impact": 3,
            "text": "Price weight (60%) learned only from the published scoring rules"})
        retrospectives.add_factor(db, sm, head["retrospective_id"], {
            "dimension": "relationship", "polarity": "failure", "impact": 2,
            "text": "No contact in the tender centre; the design institute did not score"})
    ctx.extra["proposal_lost"] = head


def seed(ctx: DemoContext) -> None:
    """A live tender in its last days and a lost one with its retrospective."""
    _live(ctx)
    _lost(ctx)
