"""Demo account plans: goals for this year and next with actuals, scorecards at different lifecycle
stages, share-growth and breakthrough plans, purchase factors, barrier plans, and an approved baseline
followed by the team's edits (so the comparison shows what moved and who moved it).

Amounts are in the account's currency, like the portfolio figures.
"""

from __future__ import annotations

from datetime import timedelta

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.demo.core import ACCOUNTS
from kamcore.plan import baselines, goals, scorecard, share_plans, strategy

# key: lifecycle stage, yearly revenue, product lines with (wallet, current share %, targets +1/+2/+3 %)
PLANS: dict[str, tuple[str, int, dict[str, tuple[int, float, tuple[float | None, ...]]]]] = {
    "huaxin": ("breakthrough", 50_000_000, {"CORE": (90_000_000, 10, (20, 30, 35)), "CLOUD": (60_000_000, 12, (18, 25, None)),
                                         "IOT": (40_000_000, 0, (5, 12, 20))}),
    "nile": ("growth", 50_000_000, {"CORE": (70_000_000, 35, (40, 45, 50)), "ACCESS": (80_000_000, 20, (25, 30, 35)),
                                 "POWER": (30_000_000, 0, (10, 20, 30)), "SVC": (25_000_000, 40, (50, 55, 60))}),
    "harbour": ("mature", 26_000_000, {"CORE": (30_000_000, 55, (60, 62, 65)), "CLOUD": (20_000_000, 25, (30, 35, 40)),
                                    "SVC": (12_000_000, 0, (8, 15, None))}),
    "jiangnan": ("growth", 70_000_000, {"IOT": (120_000_000, 25, (35, 45, 55)), "CORE": (60_000_000, 40, (45, 50, 50)),
                                     "POWER": (50_000_000, 10, (20, 30, 35)), "CLOUD": (30_000_000, 0, (10, None, 25))}),
    "pudong": ("breakthrough", 12_000_000, {"IOT": (35_000_000, 15, (20, 30, None)), "CLOUD": (15_000_000, 0, (10, 20, 30))}),
    "longma": ("mature", 26_000_000, {"IOT": (40_000_000, 60, (60, 62, 65)), "SVC": (15_000_000, 10, (20, 30, 40))}),
    "xibei": ("growth", 27_000_000, {"ACCESS": (50_000_000, 20, (30, 40, 45)), "POWER": (25_000_000, 15, (25, 30, 35)),
                                  "IOT": (20_000_000, 0, (10, 20, 30))}),
    "lingang": ("growth", 12_500_000, {"IOT": (30_000_000, 30, (35, 40, 45)), "SVC": (10_000_000, 0, (10, 15, 20))}),
    "minjiang": ("breakthrough", 3_500_000, {"CLOUD": (60_000_000, 5, (10, 20, 30)), "SVC": (20_000_000, 0, (5, 10, 15))}),
    "sunrise": ("mature", 40_000_000, {"IOT": (50_000_000, 70, (70, 70, 70)), "CLOUD": (15_000_000, 0, (5, 10, None))}),
    "yunhai": ("breakthrough", 45_000_000, {"CLOUD": (150_000_000, 20, (25, 35, 40)), "POWER": (40_000_000, 10, (20, 30, 35)),
                                         "CORE": (30_000_000, 0, (10, 20, 25))}),
    "qilu": ("mature", 300_000, {"IOT": (20_000_000, 5, (10, None, None))}),
    "pearl": ("growth", 17_500_000, {"CLOUD": (40_000_000, 30, (35, 40, 45)), "CORE": (20_000_000, 15, (20, 25, 30))}),
    "tianfu": ("growth", 27_000_000, {"POWER": (45_000_000, 35, (45, 55, 60)), "ACCESS": (40_000_000, 15, (20, 25, 30)),
                                   "IOT": (15_000_000, 0, (10, 15, 20))}),
}
PROCESS_GOALS = ("Joint solution workshop with the customer's engineering team every quarter",
                 "Quarterly business review held with the decision maker",
                 "Delivery acceptance within 30 days of installation")
LEARNING_GOALS = ("Solution manager certified on the customer's industry standard",
                  "Two lessons from retrospectives turned into playbook rules",
                  "Iron triangle completes the key-account negotiation course")
FACTOR_NOTES = {
    "risk": "Brand is accepted; executive contact is thin below the CEO.",
    "benefit": "Quality and service lead; price is at par with the incumbent.",
    "switching_cost": "Spec written around our parameters in one line only; no process embedding yet.",
}
BARRIERS = (
    ("technical", "Write the evaluation criteria together with the technical evaluator"),
    ("commercial", "Qualification threshold: reference sites of the same scale in the tender"),
    ("process", "Put our engineers inside the customer's maintenance planning (inventory optimisation)"),
)


def seed(ctx: DemoContext) -> None:
    """A full plan for every demo account, then a baseline and later edits for each."""
    for index, (key, *_rest, triangle, _extra) in enumerate(ACCOUNTS):
        _plan(ctx, key, triangle, 92 - index)


def _typed(kept: bool, value: object) -> object:
    """A typed actual where the measure has no source; None where the war room measures it itself."""
    return value if kept else None


def _plan(ctx: DemoContext, key: str, triangle: tuple[str, str, str], days_ago: int) -> None:
    db, rng = ctx.db, ctx.rng
    account_id = ctx.accounts[key]["id"]
    am, sm, dm = (ctx.users[u] for u in triangle)
    stage, revenue, lines = PLANS[key]
    year = ctx.today.year
    elapsed = (ctx.today.timetuple().tm_yday / 365)  # how much of this year's target could be in by now
    made: dict[str, dict] = {}
    with clock.at(ctx.moment(days_ago, 9)):
        settings = scorecard.save_settings(db, am, account_id, 0, {
            "lifecycle_stage": stage, "period_start": f"{year}-01-01", "period_end": f"{year + 2}-12-31"})
        if key == "jiangnan":  # the team weighs process higher while phase two is embedded
            scorecard.save_settings(db, am, account_id, settings["version"], {
                "weight_financial": 40, "weight_customer": 25, "weight_process": 25, "weight_learning": 10})
        for plan_year, growth in ((year, 1.1), (year + 1, 1.25)):
            current = plan_year == year
            pace = rng.uniform(0.7, 1.05) * elapsed if current else None
            target = round(revenue * growth, -5)
            top_lines = list(lines)[:2]
            for metric, share, owner, split in (("revenue", 1.0, am, (60, 25, 15)),
                                                ("gross_margin", 0.22, sm, (40, 40, 20)),
                                                ("collections", 0.95, dm, (50, 0, 50))):
                value = round(target * share, -4)
                made[f"{plan_year}.{metric}"] = goals.create_goal(db, am, {
                    "account_id": account_id, "year": plan_year, "quadrant": "financial", "metric": metric,
                    # revenue and gross margin are measured from the account's financials: only collections is
                    # typed (the random draw stays so the rest of the demo is unchanged)
                    "target": value, "actual": _typed(metric == "collections", None if pace is None
                                                      else round(value * pace * rng.uniform(0.9, 1.1), -3)),
                    "owner_id": owner.id, "split_am": split[0], "split_sm": split[1], "split_dm": split[2]})
            for number, code in enumerate(top_lines):
                value = round(target * (0.5 if number == 0 else 0.3), -4)
                made[f"{plan_year}.orders.{code}"] = goals.create_goal(db, am, {
                    "account_id": account_id, "year": plan_year, "quadrant": "financial", "metric": "orders",
                    "product_line_id": ctx.product_lines[code]["id"], "target": value,
                    "actual": _typed(False, None if pace is None else rng.uniform(0.8, 1.2)),  # from won deals
                    "owner_id": am.id, "split_am": 50, "split_sm": 30, "split_dm": 20})
            relationship = 3 if stage == "breakthrough" else 2
            made[f"{plan_year}.relationship"] = goals.create_goal(db, sm, {
                "account_id": account_id, "year": plan_year, "quadrant": "customer", "metric": "relationship_level",
                "target": relationship, "actual": rng.choice([0, 1, 2]) if current else None,
                "owner_id": am.id, "split_am": 70, "split_sm": 20, "split_dm": 10})
            goals.create_goal(db, dm, {
                "account_id": account_id, "year": plan_year, "quadrant": "customer", "metric": "satisfaction",
                "target": 85, "actual": rng.randint(68, 92) if current else None,
                "owner_id": dm.id, "split_am": 20, "split_sm": 20, "split_dm": 60})
            if stage == "mature":
                main = next(iter(lines.values()))
                goals.create_goal(db, am, {
                    "account_id": account_id, "year": plan_year, "quadrant": "customer", "metric": "share_of_wallet",
                    "target": main[2][0] or main[1], "actual": main[1] if current else None,
                    "owner_id": am.id, "split_am": 60, "split_sm": 30, "split_dm": 10})
            goals.create_goal(db, sm, {
                "account_id": account_id, "year": plan_year, "quadrant": "process", "metric": "custom",
                "title": rng.choice(PROCESS_GOALS), "target": 4, "actual": rng.randint(1, 4) if current else None,
                "owner_id": sm.id, "split_am": 20, "split_sm": 50, "split_dm": 30})
            goals.create_goal(db, sm, {
                "account_id": account_id, "year": plan_year, "quadrant": "learning", "metric": "custom",
                "title": rng.choice(LEARNING_GOALS), "target": 2, "actual": rng.randint(0, 2) if current else None,
                "owner_id": sm.id, "split_am": 30, "split_sm": 40, "split_dm": 30})
        made["q4"] = goals.create_goal(db, am, {
            "account_id": account_id, "year": year, "quarter": 4, "quadrant": "financial", "metric": "orders",
            "target": round(revenue * 0.3, -4), "actual": _typed(False, rng.uniform(0.2, 0.6)),  # from won deals
            "owner_id": am.id, "split_am": 60, "split_sm": 30, "split_dm": 10})
        shares = {}
        for code, (wallet, share, targets) in lines.items():
            shares[code] = share_plans.create_share_plan(db, sm if share == 0 else am, {
                "account_id": account_id, "product_line_id": ctx.product_lines[code]["id"], "wallet": wallet,
                "current_share": share, "base_year": year, "target_share_1": targets[0],
                "target_share_2": targets[1], "target_share_3": targets[2],
                "actions": ("New-product breakthrough: pilot site with the user department, then a reference visit"
                            if share == 0 else "Grow through the next framework tender and a joint roadmap"),
                "status": "planned" if share == 0 else rng.choice(["on_track", "on_track", "at_risk"])})
        for factor in strategy.FACTORS:
            strategy.assess_factor(db, am, {"account_id": account_id, "factor": factor,
                                            "score": rng.randint(2, 4), "note": FACTOR_NOTES[factor]})
        first_line = ctx.product_lines[next(iter(lines))]["id"]
        for kind, action in BARRIERS:
            strategy.create_action(db, sm if kind == "technical" else am, {
                "account_id": account_id, "kind": kind, "action": action,
                "product_line_id": first_line if kind == "technical" else None,
                "level": rng.choice(["differentiate", "influence"]) if kind == "technical" else None,
                "owner_id": (sm if kind == "technical" else am if kind == "commercial" else dm).id,
                "due_date": (ctx.today + timedelta(days=rng.randint(-20, 90))).isoformat()})
    approved = ctx.today - timedelta(days=days_ago - 8)
    with clock.at(ctx.moment(days_ago - 8, 15)):
        baselines.take_baseline(db, am, account_id, f"{year} plan", approved)
    _edits_after_baseline(ctx, account_id, made, shares, (am, sm, dm), days_ago - 8)


def _edits_after_baseline(ctx: DemoContext, account_id: int, made: dict, shares: dict, triangle: tuple,
                          since: int) -> None:
    """The team's work since the approval: actuals move, a target is raised, a share target changes."""
    db, rng = ctx.db, ctx.rng
    am, sm, dm = triangle
    year = ctx.today.year
    collections = made[f"{year}.collections"]
    relationship = made[f"{year}.relationship"]
    with clock.at(ctx.moment(rng.randint(20, since - 5), 17)):
        goals.update_goal(db, dm, collections["id"], collections["version"],
                          {"actual": round(collections["actual"] * 1.1, -3)})
    with clock.at(ctx.moment(rng.randint(3, 15), 11)):
        goals.update_goal(db, sm, relationship["id"], relationship["version"],
                          {"actual": min(3, (relationship["actual"] or 0) + 1)})
        next_year = made[f"{year + 1}.revenue"]
        goals.update_goal(db, am, next_year["id"], next_year["version"], {"target": round(next_year["target"] * 1.05, -4)})
        first = next(iter(shares.values()))
        if first["target_share_2"] is not None:
            share_plans.update_share_plan(db, sm, first["id"], first["version"],
                                          {"target_share_2": min(100, first["target_share_2"] + 5)})
        quarter = made["q4"]
        goals.delete_goal(db, dm, quarter["id"], quarter["version"])
        strategy.create_action(db, dm, {
            "account_id": account_id, "kind": "process", "owner_id": dm.id,
            "action": "Spare-parts stock held on the customer's site under a joint inventory plan",
            "due_date": (ctx.today + timedelta(days=rng.randint(20, 60))).isoformat()})
