"""Demo working rhythm (D9): last week's daily logs, weekly plans and summaries for two people (one
summary handed in late, one plan still missing), monthly entries, and the lead's reviews."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kamcore import clock, store, users
from kamcore.demo.context import DEMO_ZONE, DemoContext
from kamcore.rhythm import entries

LOGS = {
    "li.wei": ["Jiangnan: compliance review with Zhao Lei; two clauses still open",
               "Jiangnan tender: price lock clause 3.5 — asked finance for a five-year model",
               "Sunrise: payment terms call; they want 90 days",
               "Jiangnan: red-team dry run booked; writer on the training manual",
               "Pearl River Bank: reference visit prepared for the CIO"],
    "zhang.min": ["Huaxin: met the new fab IT lead; hidden need is change control",
                  "Pudong: workshop on purchase criteria with the technical department",
                  "Lingang: sensor pilot data reviewed with purchasing",
                  "Huaxin: solution outline for the change-control portal",
                  "Yunhai: tenant build-out pipeline review"],
}
TEAM_OF_LEAD = ("li.wei", "zhang.min", "wang.fang")  # the lead is chen.jie; the other members have none
ACCOUNT_OF = {"Jiangnan": "jiangnan", "Sunrise": "sunrise", "Pearl River Bank": "pearl", "Huaxin": "huaxin",
              "Pudong": "pudong", "Lingang": "lingang", "Yunhai": "yunhai"}


def _at(day, hour: int, minute: int = 0) -> datetime:
    return clock.moment_of(day, time(hour, minute), DEMO_ZONE)


def _account(ctx: DemoContext, text: str) -> int | None:
    prefix = text.split(":")[0].split(" tender")[0]
    key = ACCOUNT_OF.get(prefix)
    return ctx.accounts[key]["id"] if key else None


def seed(ctx: DemoContext) -> None:
    """Chen Jie leads Huaxin's iron triangle; a week of rhythm for li.wei (on time) and zhang.min (a late
    summary, a missing plan)."""
    db = ctx.db
    monday = entries.period_of("weekly_summary", ctx.today)
    last = monday - timedelta(days=7)
    first = ctx.today.replace(day=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    live = ctx.extra.get("proposal_live")
    person = store.row(db, "SELECT id FROM stakeholders WHERE account_id = ? ORDER BY id LIMIT 1",
                       [ctx.accounts["jiangnan"]["id"]])
    made = {}
    with clock.at(_at(prev_month.replace(day=1), 9)):  # Huaxin's iron triangle reports to Chen Jie (D9)
        for username in TEAM_OF_LEAD:
            row = users.get_user_row(db, ctx.users[username].id)
            users.set_lead(db, ctx.admin, row["id"], row["version"], ctx.users["chen.jie"].id)
    for username, logs in LOGS.items():
        who = ctx.users[username]
        with clock.at(_at(prev_month.replace(day=28) - timedelta(days=1), 16)):
            entries.write_entry(db, who, {"kind": "monthly_plan", "period_start": first,
                                          "body": "Close the Jiangnan tender; two reference visits; QBR season"})
        with clock.at(_at(prev_month.replace(day=28), 15)):
            made[(username, "month")] = entries.write_entry(db, who, {
                "kind": "monthly_summary", "period_start": prev_month,
                "body": "Pipeline reviewed; one tender lost on price (retrospective open)"})
        with clock.at(_at(last - timedelta(days=3), 16)):
            entries.write_entry(db, who, {"kind": "weekly_plan", "period_start": last,
                                          "body": "Finish the compliance matrix; customer visits Tuesday and Thursday"})
        for offset, text in enumerate(logs):
            day = last + timedelta(days=offset)
            values = {"kind": "daily_log", "period_start": day, "body": text, "account_id": _account(ctx, text)}
            if username == "li.wei" and offset in (0, 1, 3) and live:
                values["opportunity_id"] = live["opportunity_id"]
                if person and offset == 0:
                    values["stakeholder_id"] = person["id"]
            with clock.at(_at(day, 18, 10 + offset)):
                entries.write_entry(db, who, values)
    with clock.at(_at(last + timedelta(days=4), 16, 40)):
        made["li_summary"] = entries.write_entry(db, ctx.users["li.wei"], {
            "kind": "weekly_summary", "period_start": last, "account_id": ctx.accounts["jiangnan"]["id"],
            "body": "Jiangnan tender on track except clauses 3.5 and 4.1; price lock needs an executive answer"})
    with clock.at(_at(last + timedelta(days=5), 10, 15)):  # Saturday: after Friday 17:30, so late
        entries.write_entry(db, ctx.users["zhang.min"], {
            "kind": "weekly_summary", "period_start": last,
            "body": "Huaxin change-control need confirmed; Pudong criteria workshop done"})
    with clock.at(_at(last + timedelta(days=4), 17, 5)):
        entries.write_entry(db, ctx.users["li.wei"], {
            "kind": "weekly_plan", "period_start": monday,
            "body": "Red-team review Tuesday, submit Wednesday; Sunrise payment terms"})
    lead = ctx.users["chen.jie"]
    with clock.at(_at(last + timedelta(days=5), 9, 30)):
        row = made["li_summary"]
        entries.review(db, lead, row["id"], row["version"], "Price lock: bring the five-year model to Monday's huddle")
        for username in LOGS:
            row = made[(username, "month")]
            entries.review(db, lead, row["id"], row["version"], "Fine")
