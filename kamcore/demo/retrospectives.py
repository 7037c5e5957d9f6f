"""Demo retrospectives modelled on D11: the Huaxin ¥170M loss, the Pudong single-threaded loss, the Nile
iron-triangle win, the Harbour hidden-need win, and a mid-deal review of the Longma price ultimatum.

Several team members write in each one at different moments (each part its own versioned, audited row);
each goes to review, the team records its agreement, and a big loss is signed off one level up (chen.jie);
lessons reach the playbook, and Pudong's lesson becomes a rule that flags the live Lingang deal (price
talk with no one holding authority). Two rule sweeps leave a firing log; one flag is acknowledged.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.learning import playbook, retrospectives, rules

# key in ctx.extra["opportunities"], account, days after the close the review starts, writers (AM, SM, DM)
CASES: dict[str, dict[str, Any]] = {
    "huaxin_loss": {
        "account": "huaxin", "team": ("li.wei", "zhang.min", "wang.fang"),
        "summary": "We lost the ¥170M fab-network tender although the technical proposal ranked first. The BU, "
                   "the region and the project team each worked to a private definition of a key account.",
        "factors": [
            ("wang.fang", "collaboration", "failure", 3,
             "Three private key-account definitions: BU demanded 15% gross margin, region saw only its ¥30M slice, "
             "project team saw 'industry TOP3 + ¥170M'"),
            ("li.wei", "commercial", "failure", 3, "Margin floor surfaced at the last pricing round, after the bid "
                                                   "was shaped"),
            ("zhang.min", "solution", "success", 2, "Technical proposal ranked first by the fab's engineers"),
            ("li.wei", "relationship", "success", 1, "Good access to the CIO and the design institute"),
            ("zhang.min", "competition", "failure", 2, "Rival A priced the whole network as one strategic entry"),
        ],
        "whys": [("li.wei", "collaboration", "Lost the ¥170M fab-network tender",
                  ["The BU refused to approve our price in the last round",
                   "The price fell below the BU's 15% gross-margin floor",
                   "The region had priced to win its own ¥30M slice",
                   "Each unit used its own definition of a key account"],
                  "No single, agreed and signed-off key-account definition (集体共识)")],
        "lessons": [
            ("li.wei", "One agreed key-account definition, signed off before the bid",
             "Tier criteria are one shared, versioned set; BU, region and project team sign the same definition "
             "and margin floor before the solution stage.", "collaboration", "needs",
             {"promote": "tiering,consensus,margin"}),
            ("zhang.min", "Check the BU's margin floor before shaping the solution", "", "commercial", "solution", {}),
        ],
        "actions": [("li.wei", "Run the tier-criteria sign-off with BU and region heads", 30, "medium", "done"),
                    ("zhang.min", "Add the margin floor to the bid checklist", 45, "short", "done")],
    },
    "pudong_lost": {
        "account": "pudong", "team": ("liu.yang", "zhang.min", "sun.li"),
        "summary": "Lowest bid, still lost: a new managing director moved the tender to the technical department "
                   "and sent our only friend, the VP, away.",
        "factors": [
            ("liu.yang", "relationship", "failure", 3, "All contact ran through one friendly VP"),
            ("zhang.min", "competition", "failure", 2, "Rival B had courted the technical department for a year"),
            ("liu.yang", "commercial", "success", 1, "Lowest bid in the final round"),
            ("sun.li", "delivery", "success", 1, "Delivery plan rated best by the plant"),
        ],
        "whys": [("liu.yang", "relationship", "Our lowest bid lost the instrument-network tender",
                  ["The tender was moved to the technical department",
                   "The new MD did not trust the VP's network",
                   "We had no relationship outside the VP"],
                  "Single-threaded relationship and no decision-chain map")],
        "lessons": [
            ("liu.yang", "Map the whole decision chain and own two supportive relationships",
             "Before solution stage: every buying role mapped, each with an owner from the iron triangle, and at "
             "least two supportive people we own.", "relationship", "qualify",
             {"promote": "single-thread,decision-chain,coverage"}),
            ("zhang.min", "Find the person with authority before talking price",
             "Our VP contact had no authority over the tender; the price we gave him worked for the rival.",
             "relationship", "qualify",
             {"rule": {"name": "Price talk without authority", "severity": "critical",
                       "conditions": [{"field": "stage", "op": ">=", "value": "qualify"},
                                      {"field": "man_authority", "op": "==", "value": False}]}}),
        ],
        "actions": [("zhang.min", "Decision-chain map for every deal past qualification", 20, "short", "open"),
                    ("liu.yang", "Quarterly coverage review of the decision layer", 120, "long", "open")],
    },
    "nile_operable": {
        "account": "nile", "team": ("omar.hassan", "maria.santos", "huang.tao"),
        "summary": "Won back after the 2006 Sudan loss: one iron triangle, one story — 'an operable network'.",
        "factors": [
            ("omar.hassan", "collaboration", "success", 3, "One iron triangle spoke for data, core and turnkey"),
            ("maria.santos", "solution", "success", 3, "Solar + small diesel cut the operating cost"),
            ("huang.tao", "delivery", "success", 2, "Delivery manager met the CTO from the first visit"),
            ("omar.hassan", "collaboration", "failure", 1, "In 2006 eight people each explained their own part"),
        ],
        "whys": [("maria.santos", "solution", "We lost the 2006 network tender",
                  ["The CTO wanted an operable network, not three separate offers",
                   "Each product unit presented its own part",
                   "Nobody owned the customer's operating-cost need across silos"],
                  "No iron triangle: relationship, solution and delivery were not one team")],
        "lessons": [
            ("omar.hassan", "Meet the customer as one iron triangle with one solution story",
             "Keep the internal complexity to ourselves, give the customer simplicity: AR, SR and FR visit together.",
             "collaboration", "solution", {"promote": "iron-triangle,sudan,one-voice"}),
        ],
        "actions": [("maria.santos", "Operating-cost model in every site-power proposal", 60, "medium", "open")],
    },
    "harbour_portability": {
        "account": "harbour", "team": ("liu.yang", "zhao.lei", "sun.li"),
        "summary": "The incumbent answered the stated need (billing); we found the hidden one — churn once "
                   "number portability became free.",
        "factors": [
            ("zhao.lei", "solution", "success", 3, "Found the hidden need: number-portability churn"),
            ("liu.yang", "relationship", "success", 2, "Coach in the marketing department"),
            ("zhao.lei", "competition", "success", 2, "Incumbent BSS vendor had no retention analytics"),
            ("sun.li", "delivery", "failure", 1, "Data-integration pilot ran three weeks late"),
        ],
        "whys": [("zhao.lei", "solution", "Users said the billing system was too slow",
                  ["Marketing could not launch retention offers in time",
                   "Subscribers ported out within weeks of porting becoming free",
                   "Nobody could predict who would port out"],
                  "Root need: predict and stop port-outs, not a faster billing system")],
        "lessons": [
            ("zhao.lei", "Dig below the stated need in every needs workshop",
             "10% of a key account's needs are visible: ask five whys until the need tied to the customer's goals "
             "appears.", "solution", "needs", {"promote": "hidden-need,iceberg,five-whys"}),
        ],
        "actions": [("sun.li", "Integration pilot plan with buffer for data access", 40, "short", "done")],
    },
}
REVIEW_COMMENT = "Reviewed one level up: agreed with the root causes; the actions stand."


def _user(ctx: DemoContext, name: str) -> Any:
    return ctx.users[name]


def _case(ctx: DemoContext, deal: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """One deal review written by its iron triangle over a few days after the close."""
    db = ctx.db
    closed_ago = (ctx.today - date.fromisoformat(str(deal["closed_on"])[:10])).days if deal.get("closed_on") else 30
    start = max(closed_ago - 5, 3)
    am = _user(ctx, case["team"][0])
    with clock.at(ctx.moment(start, 9)):
        retro = retrospectives.create_retrospective(db, am, {"account_id": deal["account_id"],
                                                             "opportunity_id": deal["id"]})
    day = start
    for writer, dimension, polarity, impact, text in case["factors"]:
        with clock.at(ctx.moment(day, 10 + ctx.rng.randrange(0, 6))):
            retrospectives.add_factor(db, _user(ctx, writer), retro["id"], {
                "dimension": dimension, "polarity": polarity, "impact": impact, "text": text})
    day = max(day - 1, 2)
    for writer, dimension, problem, links, root in case["whys"]:
        with clock.at(ctx.moment(day, 11)):
            values = {"dimension": dimension, "problem": problem, "root_cause": root}
            values.update({f"why{i + 1}": link for i, link in enumerate(links)})
            retrospectives.add_why_chain(db, _user(ctx, writer), retro["id"], values)
    day = max(day - 1, 2)
    for writer, title, detail, dimension, stage, then in case["lessons"]:
        who = _user(ctx, writer)
        with clock.at(ctx.moment(day, 14)):
            lesson = retrospectives.add_lesson(db, who, retro["id"], {
                "title": title, "detail": detail, "dimension": dimension, "stage": stage})
        if "promote" in then:
            with clock.at(ctx.moment(day, 15)):
                playbook.promote(db, who, lesson["id"], lesson["version"], {"tags": then["promote"]})
        if "rule" in then:
            with clock.at(ctx.moment(day, 16)):
                rules.rule_from_lesson(db, who, lesson["id"], then["rule"])
    for writer, text, due_in, horizon, status in case["actions"]:
        with clock.at(ctx.moment(day, 16)):
            due = (ctx.today - timedelta(days=day) + timedelta(days=due_in)).isoformat()
            action = retrospectives.add_action(db, am, retro["id"], {
                "text": text, "owner_id": _user(ctx, writer).id, "due_date": due, "horizon": horizon})
        if status != "open":
            with clock.at(ctx.moment(max(day - due_in // 2, 1), 17)):
                retrospectives.update_part(db, _user(ctx, writer), "action", action["id"], action["version"],
                                           {"status": status})
    last = max(day - 1, 1)
    with clock.at(ctx.moment(last, 17)):
        retro = retrospectives.update_retrospective(db, am, retro["id"], retro["version"], {"summary": case["summary"]})
        reviewer = _user(ctx, "chen.jie") if retrospectives.needs_reviewer(db, retro) else None
        retro = retrospectives.submit_for_review(db, am, retro["id"], retro["version"],
                                                 reviewer.id if reviewer else None)
    with clock.at(ctx.moment(last, 18)):
        for writer in case["team"]:
            retrospectives.agree_conclusions(db, _user(ctx, writer), retro["id"])
    with clock.at(ctx.moment(max(last - 1, 0), 9)):
        retro = retrospectives.finalize(db, reviewer or am, retro["id"], retro["version"],
                                        REVIEW_COMMENT if reviewer else "")
    return retro


def _mid_deal(ctx: DemoContext, deal: dict[str, Any]) -> None:
    """A mid-deal review of the live Longma renewal under a yearly price ultimatum (D2 barriers)."""
    db = ctx.db
    li, maria = _user(ctx, "li.wei"), _user(ctx, "maria.santos")
    with clock.at(ctx.moment(6, 9)):
        retro = retrospectives.create_retrospective(db, li, {
            "account_id": deal["account_id"], "opportunity_id": deal["id"], "review_type": "mid_deal",
            "title": "Mid-deal review: the yearly price ultimatum"})
        retrospectives.add_factor(db, li, retro["id"], {
            "dimension": "commercial", "polarity": "failure", "impact": 3,
            "text": "70% of the supplier's business sits in this one customer: no leverage against 8% cuts"})
    with clock.at(ctx.moment(5, 15)):
        retrospectives.add_factor(db, maria, retro["id"], {
            "dimension": "solution", "polarity": "success", "impact": 2,
            "text": "Telematics is embedded in their maintenance workflow (process barrier)"})
        retrospectives.add_lesson(db, maria, retro["id"], {
            "title": "Answer price ultimatums with switching costs, not discounts", "dimension": "commercial",
            "stage": "negotiation", "detail": "Show what leaving would cost them: process embedding, data history."})
        retrospectives.add_action(db, li, retro["id"], {
            "text": "Prepare payment-term options and a switching-cost sheet", "owner_id": maria.id,
            "due_date": (ctx.today + timedelta(days=7)).isoformat(), "horizon": "short"})


def seed(ctx: DemoContext) -> None:
    """Retrospectives on the D11 cases, their playbook entries and rule, and a firing log with one acknowledgement."""
    deals = ctx.extra.get("opportunities") or {}
    for key, case in CASES.items():
        if key in deals and deals[key].get("status") != "open":
            _case(ctx, deals[key], case)
    if "longma_ultimatum" in deals:
        _mid_deal(ctx, deals["longma_ultimatum"])
    for days_ago in (14, 7, 0):
        with clock.at(ctx.moment(days_ago, 8)):
            rules.sweep(ctx.db)
    lingang = deals.get("lingang_quoted_early")
    if lingang:
        with clock.at(ctx.moment(2, 12)):
            flags = rules.flags_for_opportunity(ctx.db, ctx.admin, lingang["id"])
            quiet = [f for f in flags if f.rule_code == "price_before_needs"]
            if quiet:
                rules.acknowledge(ctx.db, _user(ctx, "omar.hassan"), quiet[0].rule_id, quiet[0].account_id,
                                  lingang["id"], "Purchasing insisted on an indicative price; needs workshop "
                                                 "booked for next week", ctx.today + timedelta(days=10))
