"""Demo huddles: three weeks of weekly huddles on several accounts, a group huddle, decisions and
actions (some overdue, some done), and comments with @mentions — so "what changed since the last
huddle", the agenda and My work all have something to show."""

from __future__ import annotations

from datetime import timedelta

from kamcore import clock, comments, store, team
from kamcore.demo.context import DemoContext
from kamcore.huddle import huddles

ACCOUNTS = ("huaxin", "jiangnan", "longma", "nile", "pudong", "pearl")
WEEKS = (21, 14, 7)  # days ago of each weekly huddle
DECISIONS = (
    "One agreed key-account definition for this account: BU, region and project team sign the same sheet",
    "Executive sponsor visit before the tender window opens",
    "Stop discounting below the agreed margin floor; trade payment terms instead",
    "Thread the account beyond the single friendly contact: map the new managing director's circle",
    "Bring the delivery manager to every technical exchange from now on",
    "Lead with operating cost (solar-hybrid) rather than capital cost in the next proposal",
)
ACTIONS = (
    "Send the reference-site visit invitation",
    "Prepare the SPIN questions for the technical evaluator",
    "Update the share-growth plan with the new wallet estimate",
    "Confirm the decision chain after the reorganisation",
    "Draft the commercial terms that favour us (payment, penalties, delivery)",
    "Book the headquarters visit for the purchaser",
    "Collect the overdue receivable before the next order",
    "Run the five-whys on the lost lot and share the lesson",
)
COMMENT_KINDS = ("opportunity", "goal", "stakeholder", "retrospective")


def seed(ctx: DemoContext) -> None:
    """Weekly huddles on six accounts and one group huddle, then a few moves after the last one."""
    for number, key in enumerate(ACCOUNTS):
        account = ctx.accounts[key]
        members = team.list_team(ctx.db, ctx.admin, account["id"])
        triangle = [m for m in members if m["role"] in ("account_manager", "solution_manager", "delivery_manager")]
        chair = ctx.users[triangle[0]["username"]]
        last = None
        for week, days_ago in enumerate(WEEKS):
            with clock.at(ctx.moment(days_ago, 9)):
                huddle = huddles.start_huddle(
                    ctx.db, chair, [account["id"]], held_on=ctx.today - timedelta(days=days_ago),
                    title=f"Weekly huddle — {account['name']}", attendee_ids=[ctx.users[m["username"]].id
                                                                            for m in triangle])
                huddles.add_item(ctx.db, chair, huddle["id"], "decision",
                                 DECISIONS[(number + week) % len(DECISIONS)])
                for offset in range(2):
                    owner = triangle[(week + offset) % len(triangle)]
                    due = ctx.today - timedelta(days=days_ago) + timedelta(days=ctx.rng.choice((3, 5, 10, 12)))
                    huddles.add_item(ctx.db, chair, huddle["id"], "action",
                                     ACTIONS[(number * 3 + week * 2 + offset) % len(ACTIONS)],
                                     owner_id=owner["user_id"], due_on=due)
                huddles.update_huddle(ctx.db, chair, huddle["id"], huddle["version"], {
                    "notes": "Went through what changed, the late actions and the flags.", "status": "closed"})
            last = huddle
        _after_last_huddle(ctx, key, chair, last)
    _group_huddle(ctx)
    _five_account_huddle(ctx)


def _after_last_huddle(ctx: DemoContext, key: str, chair, last: dict) -> None:
    """Things that happen between huddles: an action done, a comment with a mention."""
    account = ctx.accounts[key]
    open_items = store.rows(ctx.db, "SELECT * FROM huddle_items WHERE account_id = ? AND kind = 'action' "
                                    "AND status = 'open' ORDER BY due_on", [account["id"]])
    if open_items:
        item = open_items[0]
        owner = next(u for u in ctx.users.values() if u.id == item["owner_id"])
        with clock.at(ctx.moment(3, 15)):
            huddles.set_item_status(ctx.db, owner, item["id"], item["version"], "done")
    members = team.list_team(ctx.db, ctx.admin, account["id"])
    other = members[1]["username"] if len(members) > 1 else members[0]["username"]
    entity, entity_id = "huddle", last["id"]
    for kind in COMMENT_KINDS:
        choices = comments.commentable_records(ctx.db, ctx.admin, account["id"], kind)
        if choices:
            entity, entity_id = kind, sorted(choices)[0]
            break
    with clock.at(ctx.moment(2, 11)):
        comments.add_comment(ctx.db, chair, entity, entity_id,
                             f"@{other} can you check this before Friday's huddle? The customer asked again.")
    with clock.at(ctx.moment(1, 17)):
        reply_by = next(u for u in ctx.users.values() if u.username == other)
        comments.add_comment(ctx.db, reply_by, entity, entity_id, f"On it, @{chair.username} — I will bring the numbers.")


def _group_huddle(ctx: DemoContext) -> None:
    """Li Wei's monthly review across two of her accounts."""
    ids = [ctx.accounts["huaxin"]["id"], ctx.accounts["jiangnan"]["id"]]
    li = ctx.users["li.wei"]
    with clock.at(ctx.moment(10, 16)):
        huddle = huddles.start_huddle(ctx.db, li, ids, held_on=ctx.today - timedelta(days=10),
                                      title="East China monthly review", attendee_ids=[li.id, ctx.users["chen.jie"].id])
        huddles.add_item(ctx.db, li, huddle["id"], "decision",
                         "Share one solution architect across both East China accounts this quarter",
                         account_id=ids[1])
        huddles.add_item(ctx.db, li, huddle["id"], "action", "Align the two accounts' delivery calendars",
                         account_id=ids[0], owner_id=ctx.users["wang.fang"].id,
                         due_on=ctx.today - timedelta(days=2))


LI_WEI_ACCOUNTS = ("huaxin", "jiangnan", "longma", "sunrise", "pearl")


def _five_account_huddle(ctx: DemoContext) -> None:
    """Li Wei's weekly huddle across her five accounts, this morning: she presents and Chen Jie (the only other
    person who sees all five) reviews; one question became an action. The East China review gets its roles too."""
    ids = [ctx.accounts[key]["id"] for key in LI_WEI_ACCOUNTS]
    li, chen, wang = ctx.users["li.wei"], ctx.users["chen.jie"], ctx.users["wang.fang"]
    with clock.at(ctx.moment(0, 8)):
        huddle = huddles.start_huddle(ctx.db, li, ids, held_on=ctx.today, title="Li Wei's accounts — weekly huddle",
                                      attendee_ids=[li.id, chen.id], presenter_id=li.id, reviewer_id=chen.id)
        question = huddles.add_remark(ctx.db, chen, huddle["id"], ids[0], "late", "question",
                                      "Why has the reference-site invitation slipped twice, and who unblocks it?")
        huddles.remark_to_action(ctx.db, li, question["id"], question["version"], owner_id=li.id,
                                 due_on=ctx.today + timedelta(days=4))
        huddles.add_remark(ctx.db, chen, huddle["id"], ids[1], "risks", "question",
                           "Which of the closing deals still lacks the decision maker's sign-off?")
    group = store.row(ctx.db, "SELECT * FROM huddles WHERE title = 'East China monthly review'")
    with clock.at(ctx.moment(10, 17)):
        huddles.update_huddle(ctx.db, li, group["id"], group["version"],
                              {"reviewer_id": wang.id, "coach_id": chen.id})
        huddles.add_remark(ctx.db, wang, group["id"], ids[0], "risks", "question",
                           "Can delivery absorb both go-lives in the same month?")
        huddles.add_remark(ctx.db, chen, group["id"], ids[1], "decisions", "recommendation",
                           "Meet the new managing director before the tender opens; bring the operating-cost case.")
