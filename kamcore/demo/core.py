"""Demo people, product lines, accounts (modelled on the cases in domain.md D11) and their teams."""

from __future__ import annotations

from kamcore import accounts, clock, product_lines, team, users
from kamcore.demo.context import DEMO_PASSWORD, DemoContext

PEOPLE = [
    # username, display name, global role
    ("admin", "Admin Wu", "admin"),
    ("chen.jie", "Chen Jie", "executive"),
    ("li.wei", "Li Wei", "member"),
    ("zhang.min", "Zhang Min", "member"),
    ("wang.fang", "Wang Fang", "member"),
    ("liu.yang", "Liu Yang", "member"),
    ("zhao.lei", "Zhao Lei", "member"),
    ("sun.li", "Sun Li", "member"),
    ("omar.hassan", "Omar Hassan", "member"),
    ("maria.santos", "Maria Santos", "member"),
    ("huang.tao", "Huang Tao", "member"),
    ("guest", "Guest Viewer", "member"),
]

LINES = [
    ("CORE", "Core network", "Packet core, routing and switching for carrier and enterprise backbones"),
    ("ACCESS", "Access network", "Radio and fixed access, small cells"),
    ("POWER", "Site power & solar", "Hybrid solar-diesel site power, batteries, energy management"),
    ("CLOUD", "Cloud & data centre", "Private cloud, storage, modular data centres"),
    ("IOT", "Industrial IoT", "Sensors, edge gateways and analytics for plants and fleets"),
    ("SVC", "Managed services", "Operations, maintenance and turnkey delivery"),
]

# key, name, industry, region, currency, status, notes, (AM, SM, DM), extra team
ACCOUNTS = [
    ("huaxin", "Huaxin Semiconductor", "Semiconductor", "East China", "CNY", "at_risk",
     "Lost the ¥170M fab-network tender in 2024: BU, region and project team each had a private "
     "key-account definition. Rebuilding under one agreed tiering.",
     ("li.wei", "zhang.min", "wang.fang"), [("chen.jie", "executive")]),
    ("nile", "Nile Telecom", "Telecom", "East Africa", "USD", "active",
     "Operator wants 'an operable network', not three silos. Won back after the iron-triangle reset.",
     ("omar.hassan", "maria.santos", "huang.tao"), [("chen.jie", "executive")]),
    ("harbour", "Harbour Mobile", "Telecom", "Hong Kong", "HKD", "active",
     "Number-portability churn was the hidden need; our retention analytics became the edge.",
     ("liu.yang", "zhao.lei", "sun.li"), []),
    ("jiangnan", "Jiangnan Power Grid", "Energy", "East China", "CNY", "active",
     "'Project No. 1': phase one 37,000 lines, phase two ~290,000 lines (~¥100M) in play.",
     ("li.wei", "zhao.lei", "wang.fang"), [("chen.jie", "executive"), ("guest", "viewer")]),
    ("pudong", "Pudong Precision Instruments", "Manufacturing", "Shanghai", "CNY", "at_risk",
     "Listed customer; all contact ran through one friendly VP until a new MD moved the tender.",
     ("liu.yang", "zhang.min", "sun.li"), []),
    ("longma", "Longma Heavy Trucks", "Automotive", "Central China", "CNY", "active",
     "70% of a parts supplier's business sat in this one customer; yearly price ultimatums.",
     ("li.wei", "maria.santos", "huang.tao"), []),
    ("xibei", "Xibei Metro Construction", "Infrastructure", "Northwest China", "CNY", "active",
     "Multi-department buyer: dispatch centre, engineering, construction, tender centre, design institute.",
     ("liu.yang", "zhao.lei", "wang.fang"), [("guest", "viewer")]),
    ("lingang", "Lingang Steel", "Metals", "Shanghai", "CNY", "active",
     "Plant-wide IoT retrofit; price-driven purchasing department.",
     ("omar.hassan", "zhang.min", "sun.li"), []),
    ("minjiang", "Minjiang Hospital Group", "Healthcare", "Southeast China", "CNY", "prospect",
     "Twelve hospitals consolidating data centres; technical evaluator is the CIO's deputy.",
     ("liu.yang", "maria.santos", "huang.tao"), []),
    ("sunrise", "Sunrise Logistics", "Logistics", "South China", "CNY", "active",
     "Fleet telematics; repeat buyer with thin margins and long payment terms.",
     ("li.wei", "zhao.lei", "sun.li"), []),
    ("yunhai", "Yunhai Cloud Data Centre", "Technology", "Southwest China", "CNY", "active",
     "Hyperscale tenant build-outs; strategic partnership under discussion.",
     ("omar.hassan", "zhang.min", "wang.fang"), [("chen.jie", "executive")]),
    ("qilu", "Qilu Petrochemical", "Energy", "North China", "CNY", "dormant",
     "One-off bulk order in 2025 for a plant expansion; no follow-on demand yet.",
     ("liu.yang", "maria.santos", "huang.tao"), []),
    ("pearl", "Pearl River Bank", "Finance", "South China", "CNY", "active",
     "Core banking data-centre refresh; risk-averse, references matter.",
     ("li.wei", "zhang.min", "huang.tao"), []),
    ("tianfu", "Tianfu Provincial Mobile", "Telecom", "Southwest China", "CNY", "active",
     "Provincial operator; solar-hybrid site power beat big diesel on operating cost.",
     ("omar.hassan", "zhao.lei", "sun.li"), []),
]

ROLES = ("account_manager", "solution_manager", "delivery_manager")


def seed(ctx: DemoContext) -> None:
    """People, product lines, accounts with their iron triangles, and a few weeks of profile edits."""
    db = ctx.db
    with clock.at(ctx.moment(120, 9)):
        for username, name, role in PEOPLE:
            actor = ctx.users.get("admin", users.SYSTEM)
            ctx.users[username] = users.create_user(db, actor, username, name, DEMO_PASSWORD, role)
        for code, name, description in LINES:
            ctx.product_lines[code] = product_lines.create_product_line(
                db, ctx.admin, {"code": code, "name": name, "description": description}
            )
    for index, (key, name, industry, region, currency, status, notes, triangle, extra) in enumerate(ACCOUNTS):
        with clock.at(ctx.moment(110 - index, 11)):
            account = accounts.create_account(
                db, ctx.admin,
                {"name": name, "industry": industry, "region": region, "currency": currency,
                 "status": "active" if status == "at_risk" else status, "notes": ""},
            )
            for position, (username, role) in enumerate(zip(triangle, ROLES, strict=True)):
                team.add_member(db, ctx.admin, account["id"], ctx.users[username].id, role,
                                first_responsible=position == 0)
            for username, role in extra:
                team.add_member(db, ctx.admin, account["id"], ctx.users[username].id, role)
        ctx.accounts[key] = account
        _profile_history(ctx, key, status, notes, triangle)


def _profile_history(ctx: DemoContext, key: str, status: str, notes: str, triangle: tuple[str, ...]) -> None:
    """Edits by the team over recent weeks, so History has something to show."""
    account = ctx.accounts[key]
    am, sm, _dm = (ctx.users[u] for u in triangle)
    with clock.at(ctx.moment(ctx.rng.randint(30, 60), 14)):
        account = accounts.update_account(ctx.db, am, account["id"], account["version"], {"notes": notes})
    if status == "at_risk":
        with clock.at(ctx.moment(ctx.rng.randint(2, 6), 16)):
            account = accounts.update_account(ctx.db, sm, account["id"], account["version"], {"status": "at_risk"})
    ctx.accounts[key] = account
