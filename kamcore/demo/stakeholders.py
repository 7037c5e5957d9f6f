"""Demo decision chains (D4), relationship plans (D8) and visits (D9) for every account.

The cases of D4 are written in on purpose:
- Pudong: single-threaded through one friendly VP, while the new managing director — the decision
  maker — is owned by nobody on our team;
- Jiangnan: a new director feuding with his deputy, both people we depend on (a conflict link);
- Xibei: a multi-department buyer (dispatch centre, engineering, construction, tender centre,
  design institute, line branches), each department with its attitude and our owner.
Every other account gets a generated chain. Scores and stances move over months (backdated, so the
trends have history); some relationship actions are overdue; visits carry revisit classes.
"""

from __future__ import annotations

import random
from typing import Any

from kamcore import clock, team
from kamcore.decision_chain import scale
from kamcore.decision_chain import stakeholders as sh
from kamcore.demo.context import DemoContext
from kamcore.relationships import health, pdca, visits

SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
            "Hu", "Guo", "He", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao")
GIVEN = ("Wei", "Fang", "Min", "Jing", "Qiang", "Lei", "Yan", "Jun", "Hao", "Ying", "Tao", "Ming", "Hua", "Ping",
         "Gang", "Xin", "Bo", "Lan", "Kai", "Rui", "Ning", "Peng", "Dan", "Yu")
AFRICAN = ("Amina Odhiambo", "Joseph Mwangi", "Grace Wanjiru", "Daniel Otieno", "Faith Achieng", "Peter Kamau",
           "Mercy Njeri", "Samuel Kiprop", "Esther Atieno", "David Mutua", "Lucy Wairimu", "Brian Ochieng")
RIVALS = ("Rival A", "Rival B", "Incumbent vendor", "Local integrator")

# department, title, level, roles, stance, score, owner slot (0 AM, 1 SM, 2 DM, None), boss index
GENERIC = [
    ("Executive office", "General Manager", "decision", "decision_maker", "supporter", 1, 0, None),
    ("Technology", "CTO", "decision", "technical_evaluator,decision_maker", "neutral", 1, 1, 0),
    ("Finance", "CFO", "decision", "decision_maker", "neutral", 0, 0, 0),
    ("Technology", "Head of Network Engineering", "management", "technical_evaluator", "coach", 3, 1, 1),
    ("Purchasing", "Purchasing Director", "management", "purchaser", "neutral", 0, 0, 2),
    ("Operations", "Operations Director", "management", "user", "supporter", 2, 2, 0),
    ("Technology", "Senior Architect", "execution", "technical_evaluator", "supporter", 2, 1, 3),
    ("Purchasing", "Category Buyer", "execution", "purchaser", "opponent", -1, None, 4),
    ("Operations", "Maintenance Lead", "execution", "user", "neutral", 1, 2, 5),
    ("Operations", "Shift Supervisor", "execution", "user", "neutral", 0, None, 5),
    ("Technology", "Test Engineer", "execution", "technical_evaluator", "neutral", 0, 1, 3),
]

PUDONG = [
    ("Gao Feng", "Executive office", "VP Operations", "decision", "purchaser", "coach", 3, 0, None,
     "Our only friend for six years; all contact ran through him."),
    ("Tang Wei", "Executive office", "Managing Director (new)", "decision", "decision_maker", "neutral", 0, None, None,
     "Joined from a rival's board; moved the tender to the technical department."),
    ("Shen Li", "Technical department", "Head of Technical Department", "management", "technical_evaluator",
     "opponent", -1, None, 1, "Now runs the tender; favours Rival B's spec."),
    ("Lu Yan", "Purchasing", "Purchasing Manager", "management", "purchaser", "neutral", 0, 0, 0, ""),
    ("Qiu Bo", "Technical department", "Instrument Engineer", "execution", "user", "neutral", 0, None, 2, ""),
    ("Fan Jing", "Production", "Plant Manager", "management", "user", "neutral", 0, 2, 0, ""),
]

XIBEI = [
    ("Ma Jun", "Executive office", "Chairman", "decision", "decision_maker", "supporter", 1, 0, None, ""),
    ("Ren Hao", "Dispatch centre", "Director, Dispatch Centre", "management", "user", "coach", 3, 0, 0,
     "Wants one dispatch screen for all lines."),
    ("Bai Xue", "Dispatch centre", "Chief Dispatcher", "execution", "user", "supporter", 2, 2, 1, ""),
    ("Du Qiang", "Engineering department", "Chief Engineer", "decision", "technical_evaluator", "supporter", 2, 1, 0,
     ""),
    ("Kong Lei", "Engineering department", "Signalling Engineer", "execution", "technical_evaluator", "neutral", 1, 1,
     3, ""),
    ("Yao Gang", "Construction department", "Construction Manager", "management", "user", "neutral", 0, 2, 0,
     "Cares about installation windows at night."),
    ("Shi Ping", "Tender centre", "Head of Tender Centre", "management", "purchaser", "opponent", -1, 0, 0,
     "Prefers the incumbent's framework agreement."),
    ("Jin Ying", "Tender centre", "Tender Officer", "execution", "purchaser", "neutral", 0, None, 6, ""),
    ("Wei Ning", "Design institute", "Lead Designer", "management", "technical_evaluator", "supporter", 2, 1, 3,
     "Writes the specification; open to our dispatch interface."),
    ("Mo Rui", "Design institute", "Power Systems Designer", "execution", "technical_evaluator", "neutral", 0, None, 8,
     ""),
    ("Pan Tao", "Line 3 branch", "Branch Manager, Line 3", "management", "user", "supporter", 2, 2, 0, ""),
    ("Lin Dan", "Line 5 branch", "Branch Manager, Line 5", "management", "user", "blocker", -1, None, 0,
     "Burnt by our 2023 outage on line 2."),
    ("Cui Kai", "Line 5 branch", "Station Master", "execution", "user", "neutral", 0, 2, 11, ""),
]

JIANGNAN = [
    ("Qian Hua", "Executive office", "Director (new)", "decision", "decision_maker", "neutral", 1, 0, None,
     "Arrived in spring from the provincial grid; reviewing every supplier."),
    ("Sun Ming", "Executive office", "Deputy Director", "management", "decision_maker,technical_evaluator",
     "supporter", 2, 1, 0, "Sponsored phase one; feuding with the new director."),
]


def seed(ctx: DemoContext) -> None:
    """Decision chains, plans and visits for all fourteen accounts."""
    for key in ctx.accounts:
        if key == "pudong":
            people = _named(ctx, key, PUDONG)
            _history(ctx, key, people, moves={0: [(3, "coach")], 2: [(0, "neutral"), (-1, "opponent")]})
        elif key == "xibei":
            people = _named(ctx, key, XIBEI)
            _history(ctx, key, people, moves={1: [(2, "supporter"), (3, "coach")], 11: [(0, "neutral"),
                                                                                    (-1, "blocker")]})
        else:
            people = _generic(ctx, key)
            if key == "jiangnan":
                people += _feud(ctx, key, people)
            _history(ctx, key, people, moves={})
        _participation(ctx, key, people)
        _actions(ctx, key, people)
        _visits(ctx, key, people)
        _targets_and_marks(ctx, key, people)
        if key == "pudong":
            _pudong_budget(ctx, key, people)
    for key in ctx.accounts:
        _health_history(ctx, key)


def _triangle(ctx: DemoContext, key: str) -> list[Any]:
    """The account's AM, SM, DM users (from the team the core step made)."""
    members = team.list_team(ctx.db, ctx.admin, ctx.accounts[key]["id"])
    by_role = {m["role"]: m["user_id"] for m in members}
    return [by_role.get(r) for r in ("account_manager", "solution_manager", "delivery_manager")]


def _am(ctx: DemoContext, key: str):
    am_id = _triangle(ctx, key)[0]
    return next(u for u in ctx.users.values() if u.id == am_id)


def _name(ctx: DemoContext, key: str, used: set[str]) -> str:
    pool_african = key == "nile"
    while True:
        name = ctx.rng.choice(AFRICAN) if pool_african else f"{ctx.rng.choice(SURNAMES)} {ctx.rng.choice(GIVEN)}"
        if name not in used:
            used.add(name)
            return name


def _create(ctx: DemoContext, key: str, days_ago: int, values: dict[str, Any]) -> dict[str, Any]:
    values = {**values, "stance": scale.stance_for(values["score"], values["stance"])}  # the one scale (D4)
    with clock.at(ctx.moment(days_ago, 10)):
        return sh.create_stakeholder(ctx.db, _am(ctx, key), ctx.accounts[key]["id"], values)


def _link(ctx: DemoContext, key: str, days_ago: int, a: dict, b: dict, kind: str, strength: int = 2,
          note: str = "") -> None:
    with clock.at(ctx.moment(days_ago, 11)):
        sh.add_link(ctx.db, _am(ctx, key), ctx.accounts[key]["id"], a["id"], b["id"], kind, strength, note)


def _generic(ctx: DemoContext, key: str) -> list[dict[str, Any]]:
    """A typical chain: three decision makers, three managers, five on the shop floor."""
    owners = _triangle(ctx, key)
    used: set[str] = set()
    rng = ctx.rng
    people: list[dict[str, Any]] = []
    for dept, title, level, roles, stance, score, slot, boss in GENERIC:
        if rng.random() < 0.25:  # vary the picture between accounts
            score = max(-1, min(3, score + rng.choice((-1, 1))))
            stance = {3: "coach", 2: "supporter", 1: "supporter", 0: "neutral", -1: "opponent"}[score]
        row = _create(ctx, key, rng.randint(150, 200), {
            "name": _name(ctx, key, used), "job_title": title, "department": dept, "level": level, "roles": roles,
            "stance": stance, "score": score, "owner_id": owners[slot] if slot is not None else None,
            "favoured_rival": rng.choice(RIVALS) if stance in ("opponent", "blocker") else "",
            "org_interests": rng.choice(("Uptime", "Lower operating cost", "Delivery on time", "Compliance")),
            "personal_interests": rng.choice(("Recognition by the board", "Career move", "Security", "Achievement")),
        })
        people.append(row)
        if boss is not None:
            _link(ctx, key, rng.randint(100, 140), row, people[boss], "reports_to", 3)
    _link(ctx, key, rng.randint(60, 120), people[3], people[1], "influences", 3, "Trusted adviser on specs")
    _link(ctx, key, rng.randint(60, 120), people[5], people[0], "influences", 2)
    if rng.random() < 0.4:
        _link(ctx, key, rng.randint(30, 90), people[4], people[5], "conflict", 1, "Budget fight over spares")
    return people


def _named(ctx: DemoContext, key: str, spec: list[tuple]) -> list[dict[str, Any]]:
    """A hand-written chain (Pudong, Xibei)."""
    owners = _triangle(ctx, key)
    people: list[dict[str, Any]] = []
    for name, dept, title, level, roles, stance, score, slot, boss, notes in spec:
        days = 100 if "(new)" in title else ctx.rng.randint(170, 210)
        row = _create(ctx, key, days, {
            "name": name, "job_title": title, "department": dept, "level": level, "roles": roles, "stance": stance,
            "score": score if "(new)" in title else max(-1, score - 1) if score > 0 else score,
            "owner_id": owners[slot] if slot is not None else None, "notes": notes,
            "favoured_rival": "Rival B" if stance in ("opponent", "blocker") else "",
        })
        people.append(row)
        if boss is not None:
            _link(ctx, key, min(days, 90), row, people[boss], "reports_to", 3)
        row["_target"] = (score, stance)
    if key == "xibei":
        _link(ctx, key, 80, people[1], people[0], "influences", 3, "Dispatch drives the chairman's agenda")
        _link(ctx, key, 75, people[8], people[3], "influences", 2, "Design institute writes the spec")
        _link(ctx, key, 60, people[6], people[11], "influences", 2)
    else:
        _link(ctx, key, 95, people[2], people[1], "influences", 3, "The MD's man for the tender")
    return people


def _feud(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Jiangnan's new director and the deputy he is feuding with."""
    owners = _triangle(ctx, key)
    made = []
    for name, dept, title, level, roles, stance, score, slot, _boss, notes in JIANGNAN:
        made.append(_create(ctx, key, 120 if "(new)" in title else 300, {
            "name": name, "job_title": title, "department": dept, "level": level, "roles": roles, "stance": stance,
            "score": score, "owner_id": owners[slot], "notes": notes}))
    director, deputy = made
    _link(ctx, key, 110, deputy, director, "reports_to", 3)
    _link(ctx, key, 45, director, deputy, "conflict", 3,
          "Feud since the director arrived: praising the deputy in front of him ruined a visit")
    _link(ctx, key, 100, people[1], director, "reports_to", 3)
    return made


def _history(ctx: DemoContext, key: str, people: list[dict[str, Any]], moves: dict[int, list[tuple[int, str]]]) -> None:
    """Scores and stances that moved over the last months."""
    rng = ctx.rng
    am = _am(ctx, key)
    for index, person in enumerate(people):
        steps = moves.get(index)
        if steps is None:
            target = person.pop("_target", None)
            if target is not None:  # hand-written chains move only to where the story puts them
                steps = [target] if tuple(target) != (person["score"], person["stance"]) else []
            elif rng.random() < 0.55:
                drift = rng.choice((-1, 1, 1))
                score = max(-1, min(3, person["score"] + drift))
                steps = [(score, person["stance"] if score >= 0 else "opponent")]
            else:
                steps = []
        person.pop("_target", None)
        days = sorted(rng.sample(range(10, 95), len(steps)), reverse=True)
        for (score, stance), days_ago in zip(steps, days, strict=True):
            with clock.at(ctx.moment(days_ago, 15)):
                fresh = sh.get_stakeholder(ctx.db, am, person["id"])
                changed = sh.update_stakeholder(ctx.db, am, person["id"], fresh["version"],
                                                {"score": score, "stance": scale.stance_for(score, stance)})
            person.update({k: changed[k] for k in ("score", "stance", "version")})


def _participation(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> None:
    """Put people on the account's open opportunities with their role."""
    am = _am(ctx, key)
    account_id = ctx.accounts[key]["id"]
    deals = [d for d in sh.opportunity_choices(ctx.db, am, account_id) if d["status"] == "open"][:4]
    for deal in deals:
        if key == "pudong":  # all contact through the VP; the MD decides; the technical head runs the tender
            cast = [(people[0], "purchaser"), (people[1], "decision_maker"), (people[2], "technical_evaluator")]
        else:
            makers = [p for p in people if "decision_maker" in sh.role_list(p["roles"])]
            others = [p for p in people if p not in makers]
            cast = [(ctx.rng.choice(makers), "decision_maker")] if makers else []
            for person in ctx.rng.sample(others, min(3, len(others))):
                roles = sh.role_list(person["roles"]) or ["influencer"]
                cast.append((person, roles[0]))
        with clock.at(ctx.moment(ctx.rng.randint(5, 40), 12)):
            for person, role in cast:
                sh.add_participation(ctx.db, am, account_id, person["id"], deal["id"], role)


def _actions(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> None:
    """A PDCA plan: checked actions that moved scores, open ones, and some overdue."""
    rng = ctx.rng
    am = _am(ctx, key)
    owners = [u for u in _triangle(ctx, key) if u]
    account_id = ctx.accounts[key]["id"]
    key_people = sorted(people, key=lambda p: (p["level"] != "decision", -abs(p["score"] - 1)))[:4]
    if key == "pudong":
        key_people = [people[0], people[3]]  # nobody plans anything for the MD: the flag shows it
    kinds = list(pdca.ACTION_KINDS[:6])
    for number, person in enumerate(key_people):
        kind = kinds[(number + len(key)) % len(kinds)]
        planned_ago = rng.randint(40, 90)
        due_in = rng.choice((-25, -10, -3, 12, 30)) if number % 2 else rng.randint(-60, -20)
        with clock.at(ctx.moment(planned_ago, 9)):
            action, _ = pdca.create_action(ctx.db, am, account_id, {
                "stakeholder_id": person["id"], "kind": kind, "owner_id": rng.choice(owners),
                "plan": f"{kind.replace('_', ' ').capitalize()} with {person['name']}",
                "due_date": (ctx.today.fromordinal(ctx.today.toordinal() + due_in)).isoformat(),
                "budget_planned": float(5_000 * (2 + (number + len(key)) % 6)),
                "aims_at": "stage" if number % 2 == 0 else "standing",
                "aims_to": "personal_trust" if number % 2 == 0 else "problem_solver"})
        if due_in < -15 and rng.random() < 0.75:
            spent = round(action["budget_planned"] * (0.7 + 0.1 * (number % 4)), -2)
            with clock.at(ctx.moment(-due_in, 16)):
                action = pdca.update_action(ctx.db, am, action["id"], action["version"], {"budget_spent": spent})
            fresh = sh.get_stakeholder(ctx.db, am, person["id"])
            change = 1 if fresh["score"] < 3 else 0
            with clock.at(ctx.moment(-due_in - rng.randint(0, 5), 17)):
                pdca.check_action(ctx.db, am, action["id"], action["version"],
                                           "Went well: agreed next step" if change else "Kept the relationship warm",
                                           change or None)


def _visits(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> None:
    """Done visits with revisit classes (some now due) and a planned one."""
    rng = ctx.rng
    am = _am(ctx, key)
    owners = [u for u in _triangle(ctx, key) if u]
    account_id = ctx.accounts[key]["id"]
    for person in rng.sample(people, min(3, len(people))):
        days_ago = rng.randint(15, 90)
        day = ctx.today.fromordinal(ctx.today.toordinal() - days_ago)
        with clock.at(ctx.moment(days_ago + 7, 9)):
            visit = visits.plan_visit(ctx.db, am, account_id, {
                "stakeholder_id": person["id"], "owner_id": rng.choice(owners),
                "purpose": rng.choice(pdca.PURPOSES), "planned_on": day.isoformat(),
                "place": "Customer HQ", "goal": f"Understand {person['name']}'s priorities for next year",
                "why": "Keep the relationship moving", "approach": "Listen first; no price talk"})
        with clock.at(ctx.moment(days_ago, 18)):
            visits.record_outcome(ctx.db, am, visit["id"], visit["version"],
                                         outcome="Listened more than we talked; two new needs surfaced",
                                         next_step="Send the reference-site invitation",
                                         revisit_days=rng.choice(pdca.REVISIT_CLASSES))
    target = people[1] if key == "pudong" else rng.choice(people)
    with clock.at(ctx.moment(3, 9)):
        visits.plan_visit(ctx.db, am, account_id, {
            "stakeholder_id": target["id"], "owner_id": owners[0], "purpose": "rapport",
            "planned_on": ctx.today.fromordinal(ctx.today.toordinal() + rng.randint(3, 20)).isoformat(),
            "goal": f"First proper meeting with {target['name']}", "stage_goal": "Agree a technical exchange",
            "attendees": "Account manager, solution manager", "alternatives": "Lunch near their plant",
            "budget": "Dinner for four", "resources": "Reference list, phase-one results",
            # Jiangnan's draft SPIN questions open with yes/no ones: the visits tab warns (D5)
            "spin_plan_id": ctx.extra["spin_closed_first"]["id"] if key == "jiangnan" else None})


STAGE_OF_SCORE = {-1: "stranger", 0: "familiar", 1: "personal_trust", 2: "interest", 3: "organisational_trust"}
STANDING_OF_SCORE = {-1: "vendor", 0: "vendor", 1: "credible_source", 2: "problem_solver", 3: "trusted_advisor"}


def _targets_and_marks(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> None:
    """Current vs target stage and standing for the decision and management levels; key-person marks (D4, D8)."""
    am = _am(ctx, key)
    rng = random.Random(f"relationship-targets-{key}")  # own stream: later demo steps draw the same numbers as before
    sponsor_done = False
    for person in people:
        fresh = sh.get_stakeholder(ctx.db, am, person["id"])
        if fresh["level"] == "execution":
            continue
        now_stage = STAGE_OF_SCORE[fresh["score"]]
        now_standing = STANDING_OF_SCORE[fresh["score"]]
        want = min(4, sh.STAGES.index(now_stage) + rng.choice((0, 1, 1, 2)))
        changes: dict[str, Any] = {
            "stage": now_stage, "standing": now_standing,
            "stage_target": sh.STAGES[max(want, 2)],
            "standing_target": sh.STANDINGS[min(3, max(2, sh.STANDINGS.index(now_standing) + 1))],
            "target_date": ctx.today.fromordinal(ctx.today.toordinal() + rng.choice((45, 90, 120, 180))).isoformat(),
            "key_contact": True, "champion": fresh["score"] == 3,
            "checkin_days": 40 if fresh["level"] == "decision" else None,
        }
        decides = "decision_maker" in sh.role_list(fresh["roles"])
        if decides and fresh["score"] >= 1 and not sponsor_done and key != "pudong":
            changes["executive_sponsor"] = True
            changes["inner_circle"] = True
            sponsor_done = True
        if decides:
            changes.update({"kp_governance": "Board approves above ¥5M; state-owned culture, consensus first",
                            "kp_expertise": "Engineer by training; reads the technical annex himself",
                            "kp_style": "Decides late, asks for references", "kp_purchase_share": 12})
        with clock.at(ctx.moment(8, 16)):
            sh.update_stakeholder(ctx.db, am, person["id"], fresh["version"], changes)


def _pudong_budget(ctx: DemoContext, key: str, people: list[dict[str, Any]]) -> None:
    """The seeds' real failure: the budget is spent, the key customer never visited headquarters; the new MD
    (the decision maker) is a stranger we need at personal trust, last met months ago."""
    am = _am(ctx, key)
    account_id = ctx.accounts[key]["id"]
    owners = [u for u in _triangle(ctx, key) if u]
    md, tech = people[1], people[2]
    with clock.at(ctx.moment(120, 9)):
        visit = visits.plan_visit(ctx.db, am, account_id, {
            "stakeholder_id": md["id"], "owner_id": owners[0], "purpose": "rapport",
            "planned_on": ctx.today.fromordinal(ctx.today.toordinal() - 95).isoformat(), "place": "Pudong plant",
            "goal": "Introduce ourselves to the new managing director"})
    with clock.at(ctx.moment(95, 18)):
        visits.record_outcome(ctx.db, am, visit["id"], visit["version"],
                              outcome="Twenty minutes; polite, asked for references", revisit_days=40)
    for person, kind, plan, planned, spent, due in (
            (md, "hq_visit", "Host the MD at our headquarters and reference line", 80_000, 72_000, -30),
            (tech, "executive_visit", "Our CTO meets the head of the technical department", 30_000, 26_000, -12)):
        with clock.at(ctx.moment(70, 9)):
            pdca.create_action(ctx.db, am, account_id, {
                "stakeholder_id": person["id"], "kind": kind, "owner_id": owners[0], "plan": plan,
                "due_date": ctx.today.fromordinal(ctx.today.toordinal() + due).isoformat(),
                "budget_planned": planned, "budget_spent": spent, "key_visit": True,
                "aims_at": "stage", "aims_to": "personal_trust"})
    fresh = sh.get_stakeholder(ctx.db, am, md["id"])
    with clock.at(ctx.moment(7, 16)):
        sh.update_stakeholder(ctx.db, am, md["id"], fresh["version"], {
            "stage": "stranger", "stage_target": "personal_trust", "standing": "vendor",
            "standing_target": "credible_source", "key_contact": True,
            "target_date": ctx.today.fromordinal(ctx.today.toordinal() + 60).isoformat()})


def _health_history(ctx: DemoContext, key: str) -> None:
    """Monthly health snapshots (computed over the demo's records at each past day) so the trend has points."""
    account_id = ctx.accounts[key]["id"]
    for days_ago in (90, 60, 30, 0):
        day = ctx.today.fromordinal(ctx.today.toordinal() - days_ago)
        with clock.at(ctx.moment(days_ago, 20)):
            health.snapshot(ctx.db, ctx.admin, account_id, today=day)
