"""What each person is sent, in their own language — found by scanning, queued once (each message has a dedupe
key), so any number of sender rounds and processes may run it:

- `mention`: a comment that @mentions them (the last two days);
- `assigned`: an action someone else made theirs (audit rows of owner_id, the last two days);
- `overdue`: their actions past due, once a day;
- `tender`: a tender deadline of one of their accounts three working days ahead;
- `digest`: once a week, their accounts: what changed, what is overdue, deals closing, relationships going stale.

Every message links back to the page it is about (`team_calendar.public_url()` + the page).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from kamcore import clock, inbox, store, team_calendar, users
from kamcore.huddle import agenda, what_changed
from kamcore.i18n import t
from kamcore.mail.outbox import Message, queue
from kamcore.proposals import rooms
from kamcore.relationships import guidance

RECENT = timedelta(days=2)
TENDER_WORKING_DAYS = 3


def _link(page: str) -> str:
    return f"{team_calendar.public_url()}{page}"


def _people(db: Database) -> list[users.User]:
    """Active people with an address (nobody else can be sent anything)."""
    return [users.get_user(db, r[0]) for r in db.execute("SELECT id FROM users WHERE active = 1 AND email <> '' "
                                                          "ORDER BY id")]


def _account_names(db: Database) -> dict[int, str]:
    return dict(db.execute("SELECT id, name FROM accounts").fetchall())


def mentions(db: Database, since: str) -> list[Message]:
    """A message per person @mentioned in a comment written after `since`."""
    out = []
    names = _account_names(db)
    for row in store.rows(db, """SELECT c.id, c.account_id, c.entity, c.entity_id, c.body, c.mentions, c.author_id,
                                        u.display_name AS author FROM comments c JOIN users u ON u.id = c.author_id
                                 WHERE c.created_at > ? AND c.mentions <> ''""", [since]):
        for raw in row["mentions"].split(","):
            person = int(raw)
            if person == row["author_id"]:
                continue
            lang = users.get_user(db, person).lang
            params = {"author": row["author"], "account": names.get(row["account_id"], ""),
                      "record": t(f"entity.{row['entity']}", lang)}
            out.append(Message(person, "mention", f"mention:{row['id']}:{person}", t("mail.mention.subject", lang,
                               **params), t("mail.mention.body", lang, **params, body=row["body"],
                               link=_link(what_changed.link_for(row["entity"], row["account_id"])))))
    return out


def assignments(db: Database, since: str) -> list[Message]:
    """A message per action someone else made a person's after `since`."""
    out = []
    names = _account_names(db)
    kinds = ",".join("?" for _ in inbox.ASSIGNABLE)
    for row in store.rows(db, f"""SELECT a.id, a.entity, a.account_id, a.new_value, a.actor_id,
                                         coalesce(u.display_name, '') AS who FROM audit_log a
                                  LEFT JOIN users u ON u.id = a.actor_id
                                  WHERE a.at > ? AND a.field = 'owner_id' AND a.entity IN ({kinds})
                                    AND a.new_value IS NOT NULL AND a.new_value <> ''""", [since, *inbox.ASSIGNABLE]):
        person = int(row["new_value"])
        if person == row["actor_id"]:
            continue
        lang = users.get_user(db, person).lang
        params = {"who": row["who"], "account": names.get(row["account_id"], ""),
                  "record": t(f"entity.{row['entity']}", lang)}
        out.append(Message(person, "assigned", f"assigned:{row['id']}", t("mail.assigned.subject", lang, **params),
                           t("mail.assigned.body", lang, **params,
                             link=_link(what_changed.link_for(row["entity"], row["account_id"])))))
    return out


def overdue(db: Database, people: list[users.User], today: date) -> list[Message]:
    """Once a day, a person's actions past due (nothing overdue: no message)."""
    out = []
    for person in people:
        late = [i for i in agenda.for_owner(db, person, person.id, today) if i.section == "overdue"]
        if not late:
            continue
        lines = "\n".join(f"- {i.display_title(person.lang)} · {i.account_name} · {t('agenda.due_label', person.lang, due=i.due)}"
                          for i in late)
        out.append(Message(person.id, "overdue", f"overdue:{person.id}:{today.isoformat()}",
                           t("mail.overdue.subject", person.lang, count=len(late)),
                           t("mail.overdue.body", person.lang, count=len(late), items=lines,
                             link=_link("/my_work"))))
    return out


def tenders(db: Database, people: list[users.User], today: date) -> list[Message]:
    """A live tender of a person's account whose deadline is three working days away."""
    out = []
    for person in people:
        ids = team_calendar.feed_accounts(db, person)
        for countdown in rooms.proposal_countdowns(db, ids, today):
            if countdown.days_left != TENDER_WORKING_DAYS:
                continue
            params = {"deal": countdown.opportunity_name, "account": countdown.account_name,
                      "deadline": countdown.deadline.isoformat(), "days": countdown.days_left,
                      "open": countdown.open_requirements}
            out.append(Message(person.id, "tender", f"tender:{countdown.proposal_id}:{countdown.deadline}:{person.id}",
                               t("mail.tender.subject", person.lang, **params),
                               t("mail.tender.body", person.lang, **params,
                                 link=_link(what_changed.link_for("proposal", countdown.account_id)))))
    return out


def digests(db: Database, people: list[users.User], today: date) -> list[Message]:
    """Once a week (its first round), a person's accounts: changes of the last 7 days, overdue items, deals
    closing within 30 days, key people not contacted for 60 days."""
    out = []
    year, week, _ = today.isocalendar()
    names = _account_names(db)
    since = (clock.now() - timedelta(days=7)).isoformat(timespec="seconds")
    for person in people:
        ids = team_calendar.feed_accounts(db, person)
        if not ids:
            continue
        counts = agenda.counts_by_account(db, person, ids, today)
        stale = guidance.key_people_not_contacted(db, ids, 60, today)
        params = {"changes": what_changed.count_changes(db, person, ids, since),
                  "overdue": sum(c["overdue"] for c in counts.values()),
                  "closing": sum(c["closing"] for c in counts.values()), "stale": len(stale),
                  "accounts": len(ids)}
        people_lines = "\n".join(f"- {s['name']} · {names.get(s['account_id'], '')}" for s in stale[:10])
        out.append(Message(person.id, "digest", f"digest:{person.id}:{year}-W{week:02d}",
                           t("mail.digest.subject", person.lang, week=week, **params),
                           t("mail.digest.body", person.lang, week=week, **params, people=people_lines or "—",
                             link=_link("/home"))))
    return out


def collect(db: Database) -> int:
    """Queue every message due now (already queued ones are skipped by their key). Returns how many were new."""
    since = (clock.now() - RECENT).isoformat(timespec="seconds")
    today = clock.today()
    people = _people(db)
    found = mentions(db, since) + assignments(db, since) + overdue(db, people, today) + tenders(db, people, today) + \
        digests(db, people, today)
    return sum(queue(db, message) for message in found)
