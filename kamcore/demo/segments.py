"""Demo segments (D13): the seeds' four, with value propositions, factor weights, how we and two rivals
score in each, and every account in one of them."""

from __future__ import annotations

from kamcore import clock
from kamcore.demo.context import DemoContext
from kamcore.segments import values

# name, value proposition, weights (price, quality, performance, lead time, delivery accuracy, tech support)
SEGMENTS = [
    ("Self-reliant", "Reliable products at a fair price, delivered exactly as ordered; they engineer it themselves.",
     (35, 20, 15, 10, 15, 5)),
    ("Tender-driven", "Win the published scoring: full compliance, sharp price, references the tender centre trusts.",
     (45, 15, 15, 10, 10, 5)),
    ("Service-seeking", "An operable solution, not a box: application engineers on site and one team for delivery.",
     (10, 15, 20, 10, 15, 30)),
    ("Under-served", "Small customers the big vendors ignore: quick answers, short lead times, technical help.",
     (15, 10, 10, 25, 10, 30)),
]
# supplier, is us, scores per segment (same factor order)
SCORES = {
    "Self-reliant": [("Us", True, (6, 8, 8, 7, 8, 9)), ("Rival A", False, (8, 7, 7, 6, 7, 5)),
                     ("Rival B", False, (9, 6, 6, 8, 6, 4))],
    "Tender-driven": [("Us", True, (5, 8, 8, 6, 7, 8)), ("Rival A", False, (8, 7, 7, 7, 7, 5)),
                      ("Incumbent meter vendor", False, (9, 6, 5, 7, 6, 4))],
    "Service-seeking": [("Us", True, (5, 8, 8, 7, 8, 9)), ("Rival A", False, (7, 7, 8, 6, 7, 6)),
                        ("Local integrator", False, (8, 5, 5, 7, 6, 7))],
    "Under-served": [("Us", True, (6, 8, 7, 8, 8, 9)), ("Rival B", False, (8, 6, 6, 5, 6, 3)),
                     ("Local integrator", False, (9, 5, 5, 7, 5, 6))],
}
MEMBERS = {"huaxin": "Self-reliant", "nile": "Service-seeking", "harbour": "Service-seeking",
           "jiangnan": "Tender-driven", "pudong": "Tender-driven", "longma": "Self-reliant",
           "xibei": "Tender-driven", "lingang": "Self-reliant", "minjiang": "Under-served",
           "sunrise": "Under-served", "yunhai": "Service-seeking", "qilu": "Under-served",
           "pearl": "Service-seeking", "tianfu": "Tender-driven"}


def seed(ctx: DemoContext) -> None:
    """The four seed segments, their scores, and each account's segment."""
    db, made = ctx.db, {}
    with clock.at(ctx.moment(45, 10)):
        for name, proposition, weights in SEGMENTS:
            made[name] = values.create_segment(db, ctx.users["li.wei"], {
                "name": name, "value_proposition": proposition,
                **{f"w_{f}": w for f, w in zip(values.FACTORS, weights, strict=True)}})
            for supplier, is_us, numbers in SCORES[name]:
                values.set_scores(db, ctx.users["zhang.min"], made[name]["id"], supplier,
                                  dict(zip(values.FACTORS, numbers, strict=True)), is_us=is_us)
    with clock.at(ctx.moment(40, 15)):
        for key, name in MEMBERS.items():
            values.assign(db, ctx.admin, ctx.accounts[key]["id"], made[name]["id"])
    ctx.extra["segments"] = made
