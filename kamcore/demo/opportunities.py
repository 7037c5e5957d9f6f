"""Demo pipeline: every account's leads and opportunities with months of dated stage moves.

Story deals follow domain.md D11 (Jiangnan "Project No. 1" phase two, the Pudong order lost
single-threaded, Harbour's number-portability win, Huaxin's ¥170M loss); the rest are
simulated deal by deal — each stage either advances or the deal closes — so conversion,
days in stage, both forecasts and the backtest have real numbers. Amounts are in
the account's currency, like the plan and portfolio figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.demo.core import ACCOUNTS
from kamcore.pipeline import competitors, discovery
from kamcore.pipeline import opportunities as opp

STAGE_ORDER = ("lead", "qualify", "needs", "solution", "negotiation")
# key: typical deal size, product lines in play
BOOK: dict[str, tuple[int, tuple[str, ...]]] = {
    "huaxin": (6_000_000, ("CORE", "CLOUD", "IOT")),
    "nile": (2_500_000, ("CORE", "ACCESS", "POWER", "SVC")),
    "harbour": (1_800_000, ("CORE", "CLOUD", "SVC")),
    "jiangnan": (7_000_000, ("IOT", "CORE", "POWER", "CLOUD")),
    "pudong": (1_500_000, ("IOT", "CLOUD")),
    "longma": (2_200_000, ("IOT", "SVC")),
    "xibei": (2_600_000, ("ACCESS", "POWER", "IOT")),
    "lingang": (1_400_000, ("IOT", "SVC")),
    "minjiang": (900_000, ("CLOUD", "SVC")),
    "sunrise": (1_600_000, ("IOT", "CLOUD")),
    "yunhai": (4_500_000, ("CLOUD", "POWER", "CORE")),
    "qilu": (400_000, ("IOT",)),
    "pearl": (1_800_000, ("CLOUD", "CORE")),
    "tianfu": (2_400_000, ("POWER", "ACCESS", "IOT")),
}
WHAT = {
    "CORE": ("backbone upgrade", "packet core expansion", "router refresh"),
    "ACCESS": ("small-cell rollout", "fibre access phase", "radio swap"),
    "POWER": ("solar-hybrid site power", "battery retrofit", "energy management"),
    "CLOUD": ("private cloud", "storage refresh", "modular data centre"),
    "IOT": ("plant sensors", "edge gateways", "fleet telematics"),
    "SVC": ("managed operations", "maintenance contract", "turnkey delivery"),
}
RIVALS = ("Rival A", "Rival B", "Incumbent vendor", "Local integrator")
LOSS_REASONS = ("Price: rival undercut by 12%", "Rival's reference site was closer to home",
                "Technical evaluator favoured the incumbent's parameters", "Lost on payment terms")
NO_DECISION_REASONS = ("Budget frozen after reorganisation", "Project postponed to next year")
WIN_REASONS = ("Operating-cost case accepted by the decision maker", "Reference visit convinced the technical evaluator",
               "Delivery manager's plan beat the rival's lead time")
TRIANGLES = {key: triangle for key, *_rest, triangle, _extra in ACCOUNTS}


def _advance(ctx: DemoContext, actor: Any, deal: dict[str, Any], to_stage: str) -> dict[str, Any]:
    """Tick the entry criteria the move needs, then move (all at the current clock)."""
    for item in opp.unmet_criteria(ctx.db, deal["id"], deal["stage"], to_stage):
        opp.set_criterion(ctx.db, actor, deal["id"], item["id"], True)
    return opp.move_stage(ctx.db, actor, deal["id"], deal["version"], to_stage)


def _deal(ctx: DemoContext, key: str, line: str, name: str, amount: float, moves: list[tuple[str, int]],
          close: tuple[str, int, str] | None = None, expected_in: int | None = None,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Open a lead `moves[0][1]` days ago, move it through `moves` (stage, days ago), optionally close it."""
    am, sm, _dm = (ctx.users[u] for u in TRIANGLES[key])
    account = ctx.accounts[key]
    opened = moves[0][1]
    with clock.at(ctx.moment(opened, 10)):
        values = {"account_id": account["id"], "product_line_id": ctx.product_lines[line]["id"], "name": name,
                  "amount": amount, "owner_id": am.id}
        if expected_in is not None:
            values["expected_close"] = (ctx.today + timedelta(days=expected_in)).isoformat()
        elif close is not None:
            days = min(close[1] - ctx.rng.randint(-20, 20), opened)
            values["expected_close"] = (ctx.today - timedelta(days=days)).isoformat()
        deal = opp.create_opportunity(ctx.db, am, values)
    for stage, days_ago in moves[1:]:
        with clock.at(ctx.moment(days_ago, 15)):
            deal = _advance(ctx, ctx.rng.choice((am, sm)), deal, stage)
    if extra:
        with clock.at(ctx.moment(max(moves[-1][1] - 1, 0), 16)):
            deal = opp.update_opportunity(ctx.db, am, deal["id"], deal["version"], extra)
    if close is not None:
        status, days_ago, reason = close
        with clock.at(ctx.moment(days_ago, 17)):
            deal = opp.close_opportunity(ctx.db, am, deal["id"], deal["version"], status, reason)
    return deal


def _simulate(ctx: DemoContext, key: str, count: int) -> None:
    """Ordinary deals: each stage advances with a chance, else the deal is lost or stalls; today cuts it open."""
    rng = ctx.rng
    size, lines = BOOK[key]
    for _ in range(count):
        line = rng.choice(lines)
        opened = rng.randint(20, 400)
        day = opened
        moves = [("lead", day)]
        close = None
        for stage in STAGE_ORDER[1:]:
            step = rng.randint(8, 45)
            if day - step < 1:
                break
            if rng.random() > (0.8 if stage != "qualify" else 0.85):
                if day - step >= 1:
                    lost = rng.random() < 0.8
                    close = ("lost" if lost else "no_decision", day - step,
                             rng.choice(LOSS_REASONS if lost else NO_DECISION_REASONS))
                break
            day -= step
            moves.append((stage, day))
        else:
            step = rng.randint(10, 40)
            if day - step >= 1:
                won = rng.random() < 0.7
                close = ("won" if won else "lost", day - step, rng.choice(WIN_REASONS if won else LOSS_REASONS))
        amount = round(size * rng.uniform(0.3, 1.8), -4)
        expected = None if close else rng.randint(-25, 160)
        if expected is not None and expected < -(opened - 5):
            expected = 10
        what = rng.choice(WHAT[line])
        extra = {"competitors": rng.choice(RIVALS), "next_step": "" if close else rng.choice((
            "Technical exchange with the evaluator", "Reference-site visit", "Send revised proposal",
            "Executive sponsor meeting", "Clarify purchase criteria and weights"))}
        if len(moves) >= 2:
            extra |= {"man_money": rng.random() < 0.8, "man_authority": rng.random() < 0.7, "man_need": True}
        _deal(ctx, key, line, f"{what.capitalize()} {rng.randint(1, 9)}", amount, moves, close, expected, extra)


def _jiangnan(ctx: DemoContext) -> dict[str, Any]:
    """'Project No. 1': phase one won (37,000 lines), phase two (~290,000 lines, ~¥100M) in negotiation."""
    db = ctx.db
    am = ctx.users[TRIANGLES["jiangnan"][0]]
    _deal(ctx, "jiangnan", "IOT", "Project No. 1 — phase one (37,000 lines)", 13_000_000,
          [("lead", 420), ("qualify", 400), ("needs", 370), ("solution", 340), ("negotiation", 320)],
          ("won", 300, "Decision-chain research and a SWOT against the incumbent; delivered ahead of plan"))
    deal = _deal(ctx, "jiangnan", "IOT", "Project No. 1 — phase two (~290,000 lines)", 100_000_000,
                 [("lead", 150), ("qualify", 130), ("needs", 100), ("solution", 70), ("negotiation", 25)],
                 expected_in=45,
                 extra={"competitors": "Incumbent meter vendor; Rival A", "man_money": True, "man_authority": True,
                        "man_need": True, "follow_up": "continue", "revisit_days": 20,
                        "next_step": "Executive sponsor meeting with the grid's deputy general manager"})
    with clock.at(ctx.moment(95, 11)):
        implicit = discovery.add_need(db, am, deal["id"], {
            "level": "implicit", "statement": "Field crews complain that meter faults are found only after billing"})
        explicit = discovery.add_need(db, am, deal["id"], {
            "level": "explicit", "statement": "Remote fault detection on every line within 24 hours",
            "parent_id": implicit["id"], "confirmed": True})
        for statement, weight in (("Reliability in humid substations", 35), ("Total cost over 8 years", 30),
                                  ("Delivery of 290,000 lines in 10 months", 20), ("Local service within 4 hours", 15)):
            discovery.add_need(db, am, deal["id"], {"level": "criterion", "statement": statement, "weight": weight,
                                              "parent_id": explicit["id"]})
        discovery.add_five_whys(db, am, deal["id"], {
            "problem": "Phase-one crews still drive to meters", "why_1": "Alarms reach the billing system, not dispatch",
            "why_2": "Dispatch has no interface to the meter head-end", "why_3": "Phase one scoped metering only",
            "root_need": "One operable system from meter to dispatch, not three silos"})
        _iceberg(ctx, deal, implicit, explicit)
    with clock.at(ctx.moment(30, 9)):
        discovery.add_spin_plan(db, am, deal["id"], {"visit_on": (ctx.today + timedelta(days=6)).isoformat()}, [
            {"part": part, "question": question, "form": form} for part, question, form in SPIN_JIANGNAN])
        ctx.extra["spin_closed_first"] = discovery.add_spin_plan(db, am, deal["id"], {
            "visit_on": (ctx.today + timedelta(days=13)).isoformat()}, [
            {"part": part, "question": question, "form": form} for part, question, form in SPIN_CLOSED_FIRST])
        us = competitors.add_competitor(db, am, deal["id"], {
            "name": "Us", "is_us": True, "product": "Edge gateway + analytics",
            "strengths": "Phase-one reference, local delivery team", "weaknesses": "Higher unit price",
            "opportunities": "Dispatch integration nobody else offers", "threats": "Budget split across two years"})
        rival = competitors.add_competitor(db, am, deal["id"], {
            "name": "Incumbent meter vendor", "product": "Meter head-end v5",
            "strengths": "Installed base, low price", "weaknesses": "No dispatch interface, slow service",
            "opportunities": "Bundle with meter replacement", "threats": "Relationship with the purchaser"})
        for aspect, ours, theirs in (("specification", 8, 6), ("function", 9, 5), ("technology", 8, 6),
                                     ("price", 5, 8), ("settlement_terms", 6, 7), ("looks", 6, 6)):
            competitors.set_comparison_item(db, am, us["id"], aspect, "", ours)
            competitors.set_comparison_item(db, am, rival["id"], aspect, "", theirs)
    return deal


# the Jiangnan visit's SPIN questions, broad to narrow within each part (one closed question per part pins a fact)
SPIN_JIANGNAN = (
    ("situation", "How do the eastern district's crews find a meter fault today?", "open"),
    ("situation", "Do all crews still dispatch from the billing exceptions list?", "closed"),
    ("problem", "Where do phase-one alarms stall on their way to dispatch?", "open"),
    ("problem", "What does a truck roll to a meter cost you?", "open"),
    ("problem", "How often is a fault found only after billing?", "open"),
    ("implication", "What does a late fault cost in penalties?", "open"),
    ("implication", "How does it affect the reliability KPI the grid reports upward?", "open"),
    ("implication", "Would phase two slipping past the summer peak put that KPI at risk?", "closed"),
    ("need_payoff", "If dispatch saw every fault within an hour, what would that be worth to you?", "open"),
)

# a draft for the purchasing visit that opens with yes/no questions: the page warns about it
SPIN_CLOSED_FIRST = (
    ("situation", "Is the phase-two tender still planned for March?", "closed"),
    ("situation", "Who else will evaluate the bids?", "open"),
    ("problem", "Is price still your first criterion?", "closed"),
)


def _iceberg(ctx: DemoContext, deal: dict[str, Any], implicit: dict[str, Any], explicit: dict[str, Any]) -> None:
    """Jiangnan's iceberg (D5): the deal's stated needs above the waterline, judged need or want, and the
    account's hidden needs beneath it — some found before any deal serves them."""
    db, am = ctx.db, ctx.users[TRIANGLES["jiangnan"][0]]
    account_id = deal["account_id"]
    implicit = discovery.update_need(db, am, implicit["id"], implicit["version"], {"nature": "need"})
    explicit = discovery.update_need(db, am, explicit["id"], explicit["version"], {"nature": "need"})
    reliability = discovery.add_account_need(db, am, account_id, {
        "level": "implicit", "nature": "need",
        "statement": "The grid's reliability KPI is reported to the province every quarter, and it slipped last summer"})
    discovery.add_account_need(db, am, account_id, {
        "level": "implicit", "nature": "need",
        "statement": "Dispatch, metering and billing each own a system; nobody owns a fault end to end"})
    discovery.add_account_need(db, am, account_id, {
        "level": "implicit", "nature": "need",
        "statement": "Field crews are ageing and hard to hire; fewer truck rolls matter more every year"})
    discovery.add_account_need(db, am, account_id, {
        "level": "implicit", "statement": "Procurement fears another five-year lock-in with one vendor"})
    discovery.add_need(db, am, deal["id"], {
        "level": "explicit", "nature": "want", "need_behind_id": reliability["id"], "parent_id": implicit["id"],
        "statement": "Twice as many meter readers in the eastern district"})
    discovery.add_need(db, am, deal["id"], {
        "level": "explicit", "nature": "want",
        "statement": "A dashboard screen like the one the neighbouring province bought"})


def _stories(ctx: DemoContext) -> dict[str, dict[str, Any]]:
    """The D11 cases, plus a live deal whose price was quoted before any need was confirmed."""
    made = {"jiangnan_phase_two": _jiangnan(ctx)}
    made["pudong_lost"] = _deal(
        ctx, "pudong", "IOT", "Plant-wide instrument network", 9_000_000,
        [("lead", 240), ("qualify", 220), ("needs", 190), ("solution", 150), ("negotiation", 110)],
        ("lost", 75, "Single-threaded through one friendly VP; the new MD moved the tender to the technical "
                     "department and our lowest bid still lost"),
        extra={"competitors": "Rival B", "man_money": True, "man_authority": False, "man_need": True})
    harbour = _deal(
        ctx, "harbour", "CLOUD", "Churn & number-portability retention analytics", 6_500_000,
        [("lead", 300), ("qualify", 280), ("needs", 250), ("solution", 210), ("negotiation", 180)],
        ("won", 160, "The hidden need — number-portability churn — became our edge: retention analytics "
                     "inside their churn process"),
        extra={"competitors": "Incumbent BSS vendor", "man_money": True, "man_authority": True, "man_need": True})
    with clock.at(ctx.moment(245, 11)):
        am = ctx.users[TRIANGLES["harbour"][0]]
        hidden = discovery.add_need(ctx.db, am, harbour["id"], {
            "level": "implicit", "statement": "Subscribers leave within weeks of porting being made free"})
        discovery.add_need(ctx.db, am, harbour["id"], {"level": "explicit", "parent_id": hidden["id"], "confirmed": True,
                                                 "statement": "Predict who will port out and act before they do"})
    made["harbour_portability"] = harbour
    made["huaxin_loss"] = _deal(
        ctx, "huaxin", "CORE", "Fab network tender (¥170M)", 170_000_000,
        [("lead", 760), ("qualify", 730), ("needs", 690), ("solution", 650), ("negotiation", 620)],
        ("lost", 600, "BU required 15% gross margin, the region saw only its ¥30M slice, the project team saw "
                      "'industry TOP3 + ¥170M': three private key-account definitions"),
        extra={"competitors": "Rival A", "man_money": True, "man_authority": True, "man_need": True})
    quoted = _deal(ctx, "lingang", "IOT", "Blast-furnace sensor retrofit", 2_800_000,
                   [("lead", 70), ("qualify", 55)], expected_in=40,
                   extra={"competitors": "Local integrator", "next_step": "Price review with the purchasing department",
                          "man_money": True, "man_authority": False, "man_need": False})
    with clock.at(ctx.moment(50, 14)):
        am = ctx.users[TRIANGLES["lingang"][0]]
        quoted = opp.update_opportunity(ctx.db, am, quoted["id"], quoted["version"],
                                        {"price_quoted_on": (ctx.today - timedelta(days=50)).isoformat()})
        discovery.add_need(ctx.db, am, quoted["id"], {"level": "explicit", "statement": "Cut unplanned furnace stops"})
    made["lingang_quoted_early"] = quoted
    made["nile_operable"] = _deal(
        ctx, "nile", "SVC", "Operable network — managed operations", 4_200_000,
        [("lead", 200), ("qualify", 185), ("needs", 160), ("solution", 130), ("negotiation", 100)],
        ("won", 85, "One iron triangle spoke for data, core and turnkey: 'an operable network'"))
    made["tianfu_solar"] = _deal(
        ctx, "tianfu", "POWER", "Solar-hybrid site power, 600 sites", 5_600_000,
        [("lead", 260), ("qualify", 240), ("needs", 215), ("solution", 180), ("negotiation", 150)],
        ("won", 130, "Solar + small diesel beat big diesel generators on operating cost"))
    made["longma_ultimatum"] = _deal(
        ctx, "longma", "IOT", "Yearly telematics renewal", 3_100_000,
        [("lead", 90), ("qualify", 80), ("needs", 60), ("solution", 40), ("negotiation", 12)], expected_in=20,
        extra={"competitors": "Rival B", "next_step": "Answer the 8% price ultimatum with payment-term options"})
    return made


def _fresh(ctx: DemoContext, key: str, count: int) -> None:
    """Recent leads and opportunities still in play, some stale, some past their expected close."""
    rng = ctx.rng
    size, lines = BOOK[key]
    for _ in range(count):
        line = rng.choice(lines)
        opened = rng.randint(5, 150)
        moves, day = [("lead", opened)], opened
        for stage in STAGE_ORDER[1:rng.randint(1, 5)]:
            step = rng.randint(5, 40)
            if day - step < 1:
                break
            day -= step
            moves.append((stage, day))
        extra = {"competitors": rng.choice(RIVALS), "next_step": rng.choice((
            "Find the person with budget authority", "Workshop on purchase criteria", "Site survey",
            "Send SPIN questions to the technical evaluator", "Reference call with a peer customer"))}
        expected = rng.randint(-20, 200)
        _deal(ctx, key, line, f"{rng.choice(WHAT[line]).capitalize()} (new)", round(size * rng.uniform(0.2, 1.5), -1),
              moves, expected_in=max(expected, 1 - opened), extra=extra)


def seed(ctx: DemoContext) -> None:
    """The story deals, then a simulated pipeline for every account (closed history plus open deals)."""
    ctx.extra["opportunities"] = _stories(ctx)
    for key in BOOK:
        small = key in ("qilu", "minjiang")
        _simulate(ctx, key, 3 if small else 6)
        _fresh(ctx, key, 1 if small else 3)
