"""Demo portfolio: three years of figures, criteria v1 agreed and in force, a draft v2 that would
move some accounts, the team's assessment of each account, and the fake key accounts D1 warns about
(Qilu: one-off bulk buyer; Sunrise: high volume, thin margin, slow and overdue payment; Longma:
repeated price cuts and a lengthening collection period)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from kamcore import clock, money
from kamcore.demo.context import DemoContext
from kamcore.demo.core import ACCOUNTS
from kamcore.portfolio import financials, positioning, tiering

# key: revenue by year (oldest first, in the account's currency), gross margin %, deals by year, DSO by year,
# overdue % of receivables, price cuts by year
FIGURES = {
    "huaxin": ((42_000_000, 48_000_000, 51_000_000), 24, (6, 7, 8), (70, 75, 78), 10, (0, 0, 0)),
    "nile": ((38_000_000, 45_000_000, 52_000_000), 22, (5, 6, 6), (95, 90, 88), 15, (0, 0, 0)),
    "harbour": ((21_000_000, 24_000_000, 26_000_000), 28, (9, 9, 10), (60, 58, 60), 5, (0, 0, 0)),
    "jiangnan": ((55_000_000, 61_000_000, 70_000_000), 21, (10, 11, 12), (72, 70, 68), 8, (0, 0, 0)),
    "pudong": ((18_000_000, 15_000_000, 12_000_000), 19, (4, 4, 3), (80, 85, 90), 12, (0, 1, 0)),
    "longma": ((30_000_000, 28_000_000, 26_000_000), 11, (12, 12, 11), (105, 115, 125), 20, (1, 1, 2)),
    "xibei": ((16_000_000, 22_000_000, 27_000_000), 20, (7, 7, 8), (95, 92, 96), 10, (0, 0, 0)),
    "lingang": ((12_000_000, 13_000_000, 12_500_000), 14, (8, 8, 8), (85, 88, 86), 12, (0, 1, 0)),
    "minjiang": ((None, 1_500_000, 3_500_000), 26, (0, 1, 2), (None, 60, 62), 0, (0, 0, 0)),
    "sunrise": ((33_000_000, 36_000_000, 40_000_000), 4, (38, 41, 44), (140, 150, 165), 45, (1, 0, 1)),
    "yunhai": ((25_000_000, 34_000_000, 45_000_000), 27, (6, 6, 7), (62, 60, 58), 5, (0, 0, 0)),
    "qilu": ((800_000, 46_000_000, 300_000), 18, (1, 1, 0), (60, 75, 90), 25, (0, 0, 0)),
    "pearl": ((14_000_000, 16_000_000, 17_500_000), 30, (5, 5, 6), (55, 52, 55), 3, (0, 0, 0)),
    "tianfu": ((20_000_000, 23_000_000, 27_000_000), 23, (9, 9, 10), (70, 72, 70), 8, (0, 0, 0)),
}

# key: scale, industry rank, value fit, purchase fit, potential sales, obtainable share %, horizon,
# our position, chosen posture, rationale
POSITIONS = {
    "huaxin": (5, 3, 5, 4, 260_000_000, 45, 5, "challenger", "flank",
               "Lost the fab-network tender; come back through the new fab's process-control line, "
               "not head-on against the incumbent."),
    "nile": (4, 2, 5, 5, 220_000_000, 75, 5, "incumbent", "defense",
             "Operable-network contract: integrate delivery and O&M so the operator never sees three silos."),
    "harbour": (3, 3, 4, 4, 90_000_000, 60, 3, "incumbent", "defense",
                "Retention analytics are inside their churn process; extend to the enterprise unit."),
    "jiangnan": (5, 1, 5, 4, 300_000_000, 70, 5, "incumbent", "defense",
                 "Phase two (~¥100M): executive coordination and joint R&D on grid sensors."),
    "pudong": (3, 12, 3, 3, 60_000_000, 25, 3, "challenger", "guerrilla",
               "New MD moved the tender to the technical department; keep the users' complaints about the "
               "incumbent visible and wait for the opening."),
    "longma": (4, 5, 2, 2, 120_000_000, 80, 3, "incumbent", "defense",
               "Yearly price ultimatums: raise switching costs through process embedding before the next round."),
    "xibei": (4, 6, 4, 3, 150_000_000, 40, 5, "strong_challenger", "offense",
              "Tender centre is open to better terms; cover all five departments with named owners."),
    "lingang": (3, 8, 2, 2, 45_000_000, 50, 3, "strong_challenger", "offense",
                "Price-driven purchasing: head-on with better terms on the IoT retrofit."),
    "minjiang": (4, 10, 4, 4, 180_000_000, 35, 5, "outsider", "guerrilla",
                 "Twelve hospitals consolidating; wait for the CIO deputy's evaluation to open the door."),
    "sunrise": (3, 15, 2, 3, 80_000_000, 85, 1, "incumbent", "defense",
                "Defend only the margin-positive lines; payment terms are renegotiated before any renewal."),
    "yunhai": (4, 4, 5, 5, 250_000_000, 55, 5, "strong_challenger", "flank",
               "Strategic partnership under discussion: enter through modular data-centre build-outs."),
    "qilu": (4, 7, 2, 2, 30_000_000, 60, 1, "incumbent", None, ""),
    "pearl": (3, 9, 4, 5, 70_000_000, 40, 5, "challenger", "flank",
              "Risk-averse bank: reference-site visits and certificates before the refresh tender."),
    "tianfu": (4, 5, 4, 4, 110_000_000, 65, 3, "incumbent", "defense",
               "Solar-hybrid beat big diesel on operating cost; extend to every site in the province."),
}

V1 = {
    "years": 3,
    "indicators": [
        {"key": "cum_revenue", "weight": 60, "low": 10_000_000, "high": 120_000_000},
        {"key": "scale", "weight": 20, "low": 1, "high": 5},
        {"key": "value_fit", "weight": 20, "low": 1, "high": 5},
    ],
    "key_min": 62, "general_min": 30, "strategic_min": 75, "value_min": 45,
    "flags": {"one_off_share_pct": 80, "one_off_max_deals": 2, "high_volume_revenue": 50_000_000,
              "thin_margin_pct": 8, "squeezer_dso_days": 120, "squeezer_overdue_pct": 30,
              "squeezer_price_cuts": 2, "squeezer_min_signals": 2},
}
V2 = {
    **V1,
    "indicators": [
        {"key": "cum_revenue", "weight": 35, "low": 10_000_000, "high": 120_000_000},
        {"key": "cum_profit", "weight": 25, "low": 0, "high": 30_000_000},
        {"key": "dso_days", "weight": 15, "low": 45, "high": 150, "higher_is_better": False},
        {"key": "value_fit", "weight": 15, "low": 1, "high": 5},
        {"key": "purchase_fit", "weight": 10, "low": 1, "high": 5},
    ],
    "key_min": 60, "general_min": 35,
}


# yearly average rates into the reporting currency (CNY), oldest year first
RATES = {"USD": (7.10, 7.20, 7.15), "HKD": (0.910, 0.920, 0.915), "EUR": (7.70, 7.80, 7.85)}


def seed(ctx: DemoContext) -> None:
    """Figures, assessments, criteria v1 (agreed) and v2 (draft), and later posture and figure edits."""
    # a fixed moment (not ctx.moment): the seeded random draws of the rest of the demo stay as they were
    with clock.at(datetime.combine(ctx.today - timedelta(days=119), time(10, 0), tzinfo=UTC)):
        for currency, by_year in RATES.items():
            for offset, value in enumerate(by_year):
                money.save_rate(ctx.db, ctx.admin, {"currency": currency, "year": ctx.today.year - 2 + offset,
                                                    "rate": value, "note": "yearly average"})
    managers = {key: (ctx.users[triangle[0]], ctx.users[triangle[1]]) for key, *_, triangle, _extra in ACCOUNTS}
    first_year = ctx.today.year - 2
    rows: dict[str, list[dict]] = {}
    for index, (key, (revenue, margin, deals, dso, overdue, cuts)) in enumerate(FIGURES.items()):
        rows[key] = []
        for offset in range(3):
            if revenue[offset] is None:
                continue
            moment = ctx.moment(118 - index, 15) if offset < 2 else ctx.moment(112 - index, 15)
            outstanding = round(revenue[offset] * (dso[offset] or 0) / 365, -3)
            # the current year is first entered at 80% and corrected late in the year
            share = 0.8 if offset == 2 else 1.0
            with clock.at(moment):
                rows[key].append(financials.create_financials(ctx.db, managers[key][0], {
                    "account_id": ctx.accounts[key]["id"], "year": first_year + offset,
                    "revenue": round(revenue[offset] * share, -3),
                    "gross_profit": round(revenue[offset] * share * margin / 100, -3),
                    "deals_count": deals[offset], "receivables_outstanding": outstanding,
                    "receivables_overdue": round(outstanding * overdue / 100, -3), "dso_days": dso[offset],
                    "price_cuts": cuts[offset],
                }))
    for index, (key, (scale, rank, vfit, pfit, potential, share, horizon, position, _p, _r)) in enumerate(
            POSITIONS.items()):
        with clock.at(ctx.moment(108 - index, 11)):
            ctx.extra.setdefault("positions", {})[key] = positioning.save_position(
                ctx.db, managers[key][0], ctx.accounts[key]["id"], None,
                {"scale": scale, "industry_rank": rank, "value_fit": vfit, "purchase_fit": pfit,
                 "potential_sales": potential, "obtainable_share": share, "horizon_years": horizon,
                 "our_position": position})
    chen, admin = ctx.users["chen.jie"], ctx.admin
    with clock.at(ctx.moment(104, 10)):
        v1 = tiering.create_draft(ctx.db, chen, "One company definition of a key account", V1,
                                  notes="Replaces the BU, region and project-team definitions after the Huaxin loss.")
    activated = ctx.moment(100, 17)  # one draw from the demo's random stream, as before sign-offs existed
    for hours, (username, comment) in enumerate((
            ("chen.jie", "One definition for every BU at last."),
            ("li.wei", ""),
            ("zhang.min", "Profit should count more next year."),
            ("wang.fang", "")), start=1):
        with clock.at(activated - timedelta(days=1, hours=8 - hours)):  # each signs the day before, in the app
            tiering.agree(ctx.db, ctx.users[username], v1["id"], comment)
    with clock.at(activated):
        tiering.activate(ctx.db, admin, v1["id"], v1["version"])
    for index, (key, (*_fields, posture, rationale)) in enumerate(POSITIONS.items()):
        if posture is None:
            continue
        position = ctx.extra["positions"][key]
        with clock.at(ctx.moment(60 - 3 * index, 14)):
            ctx.extra["positions"][key] = positioning.save_position(
                ctx.db, managers[key][1], ctx.accounts[key]["id"], position["version"],
                {"chosen_posture": posture, "rationale": rationale})
    for index, (key, (revenue, margin, *_rest)) in enumerate(FIGURES.items()):
        latest = rows[key][-1]
        with clock.at(ctx.moment(14 - index // 3, 16)):
            financials.update_financials(ctx.db, managers[key][0], latest["id"], latest["version"], {
                "revenue": revenue[2], "gross_profit": round(revenue[2] * margin / 100, -3)})
    with clock.at(ctx.moment(8, 9)):
        tiering.retier(ctx.db, admin)
    with clock.at(ctx.moment(5, 15)):
        tiering.create_draft(ctx.db, chen, "Profit and payment count", V2,
                             notes="Proposal: weigh profit and collection period, so volume alone no longer "
                                   "makes a key account.")
