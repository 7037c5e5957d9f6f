"""Issue 31 item 2: mail through a real SMTP server on localhost (aiosmtpd). Each kind arrives at its person in
their language with a link back; a kind turned off or a person without an address gets nothing; two sender
processes send each message once; with the server down the message waits and goes out once it is back."""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from email.policy import default as email_policy

import pytest
from aiosmtpd.controller import Controller

from kamcore import clock, comments, users
from kamcore.mail import outbox, sender
from kamcore.proposals import rooms
from kamcore.proposals.timeline import working_days_left
from kamcore.relationships import pdca
from tests.conftest import ROOT, signed_in_app

PUBLIC = "https://warroom.example.com"
CJK = re.compile(r"[\u4e00-\u9fff]")


class Inbox:
    """What the SMTP server received: (recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email_policy)))
        return "250 OK"

    def kinds(self) -> list[tuple[str, str]]:
        """(recipient, kind) of every message, the kind read from its Message-ID."""
        return [(to[0], re.search(r"outbox-\d+-(\w+)\.", m["Message-ID"]).group(1)) for to, m in self.received]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server on one port that can go down and come back (a new controller each time)."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox, self.port, self.running = inbox, port, None

    def start(self) -> None:
        self.running = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.running.start()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on localhost, configured for the app through the environment."""
    server = SmtpServer(Inbox(), _free_port())
    server.start()
    for name, value in {"HOST": "127.0.0.1", "PORT": str(server.port), "TLS": "none"}.items():
        monkeypatch.setenv(f"KAM_SMTP_{name}", value)
    monkeypatch.setenv("KAM_PUBLIC_URL", PUBLIC)
    yield server.inbox, server, server.port
    server.stop()


def _tender_day(db) -> tuple[datetime, dict]:
    """A day three working days before a live tender's deadline, and that tender."""
    head = db.execute("SELECT id, account_id, start_on, cycle_days FROM proposals WHERE outcome = 'open' "
                      "AND submitted_on IS NULL AND decision <> 'no_bid'").fetchone()
    deadline = rooms.deadline({"start_on": head[2], "cycle_days": head[3]})
    day = next(deadline - timedelta(days=n) for n in range(1, 10)
               if working_days_left(deadline - timedelta(days=n), deadline) == 3)
    return datetime.combine(day, time(8), tzinfo=UTC), {"id": head[0], "account_id": head[1]}


def _people(db):
    admin = users.find_by_username(db, "admin")
    out = {}
    for name, lang in (("li.wei", "en"), ("wang.fang", "zh")):
        row = users.get_user_row(db, users.find_by_username(db, name).id)
        users.update_user(db, admin, row["id"], row["version"], {"email": f"{name}@example.com", "lang": lang})
        out[name] = users.find_by_username(db, name)
    return out


def test_each_kind_arrives_in_the_persons_language_with_a_link(demo_db, smtp):
    inbox, _server, _port = smtp
    people = _people(demo_db)
    li, fang = people["li.wei"], people["wang.fang"]
    moment, tender = _tender_day(demo_db)
    team = {r[0] for r in demo_db.execute("SELECT user_id FROM account_team WHERE account_id = ?",
                                          [tender["account_id"]])}
    assert {li.id, fang.id} <= team, "the demo's live tender is on li.wei's and wang.fang's account"
    with clock.at(moment - timedelta(hours=1)):
        goal = demo_db.execute("SELECT id FROM goals WHERE account_id = ? LIMIT 1", [tender["account_id"]]).fetchone()[0]
        comments.add_comment(demo_db, fang, "goal", goal, "@li.wei can you check the revenue target?")
        person = demo_db.execute("SELECT id FROM stakeholders WHERE account_id = ? LIMIT 1",
                                 [tender["account_id"]]).fetchone()[0]
        pdca.create_action(demo_db, li, tender["account_id"], {"stakeholder_id": person, "kind": "hq_visit",
                                                               "due_date": "2026-12-20", "owner_id": fang.id})
    assert inbox.received == []  # nothing is sent by the writes themselves
    with clock.at(moment):
        done = sender.run_once(demo_db)
    assert done["failed"] == 0 and done["sent"] == done["queued"] == len(inbox.received) > 0
    got = inbox.kinds()
    assert ("li.wei@example.com", "mention") in got and ("wang.fang@example.com", "assigned") in got
    assert ("li.wei@example.com", "digest") in got and ("wang.fang@example.com", "digest") in got
    assert any(kind == "tender" for _to, kind in got)
    assert any(kind == "overdue" for _to, kind in got)
    assert {to for to, _kind in got} <= {"li.wei@example.com", "wang.fang@example.com"}  # nobody else has an address
    for (to, message), (_to, kind) in zip(inbox.received, got, strict=True):
        body = message.get_content()
        assert PUBLIC + "/" in body, (kind, body)
        chinese = bool(CJK.search(message["Subject"])) and bool(CJK.search(body))
        assert chinese == (to[0] == "wang.fang@example.com"), (to, message["Subject"])
    mention = next(m for (to, m), (_t, k) in zip(inbox.received, got, strict=True)
                   if k == "mention" and "revenue target" in m.get_content())
    assert "Wang Fang" in mention["Subject"]
    assert f"{PUBLIC}/plan?account={tender['account_id']}" in mention.get_content()
    with clock.at(moment + timedelta(minutes=1)):  # a second round: nothing twice
        assert sender.run_once(demo_db)["sent"] == 0


def test_a_kind_turned_off_or_no_address_gets_nothing_and_the_admin_is_told(demo_db, smtp):
    inbox, _server, _port = smtp
    people = _people(demo_db)
    for kind in outbox.KINDS:
        outbox.set_preference(demo_db, people["wang.fang"], kind, False)
    moment, _tender = _tender_day(demo_db)
    with clock.at(moment):
        sender.run_once(demo_db)
    assert inbox.received and {to for to, _ in inbox.kinds()} == {"li.wei@example.com"}
    status = outbox.status(demo_db, users.find_by_username(demo_db, "admin"))
    assert "Zhao Lei" in status["without_email"] and "Li Wei" not in status["without_email"]


def test_no_smtp_configured_sends_nothing_and_the_admin_page_says_so(demo_path, demo_db, monkeypatch):
    monkeypatch.delenv("KAM_SMTP_HOST", raising=False)
    _people(demo_db)
    assert sender.config() is None
    assert sender.run_once(demo_db) == {"queued": 0, "sent": 0, "failed": 0}
    assert demo_db.execute("SELECT count(*) FROM mail_outbox").fetchone()[0] == 0
    at = signed_in_app(demo_path, "admin", "pages/admin.py")
    assert not at.exception
    assert any("No SMTP server is configured" in w.value for w in at.warning)
    assert any("Zhao Lei" in i.value for i in at.info)


def test_two_sender_processes_send_each_message_once(demo_path, demo_db, smtp):
    inbox, _server, _port = smtp
    _people(demo_db)
    moment, _tender = _tender_day(demo_db)
    with clock.at(moment):
        from kamcore.mail import triggers
        queued = triggers.collect(demo_db)
    assert queued > 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen([sys.executable, "-m", "kamcore", "--db", str(demo_path), "send-mail"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    ids = [m["Message-ID"] for _to, m in inbox.received]
    assert len(ids) == len(set(ids))  # each message once
    rows = demo_db.execute("SELECT count(*), count(sent_at) FROM mail_outbox").fetchone()
    assert rows[0] == rows[1] == len(ids) >= queued


def test_with_the_server_down_the_message_waits_and_goes_out_when_it_is_back(demo_db, smtp):
    inbox, server, _port = smtp
    _people(demo_db)
    moment, _tender = _tender_day(demo_db)
    server.stop()
    with clock.at(moment):
        down = sender.run_once(demo_db)
    assert down["queued"] > 0 and down["sent"] == 0 and down["failed"] == down["queued"]
    waiting = demo_db.execute("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND last_error <> ''"
                              ).fetchone()[0]
    assert waiting == down["queued"]
    status = outbox.status(demo_db, users.find_by_username(demo_db, "admin"))
    assert status["failing"] == waiting and "Connection" in status["errors"][0]["last_error"]
    server.start()  # back on the same port
    with clock.at(moment + timedelta(seconds=5)):  # too soon: the backoff holds them
        assert sender.send_due(demo_db, sender.config())["sent"] == 0
    with clock.at(moment + sender.backoff(1) + timedelta(seconds=1)):
        assert sender.send_due(demo_db, sender.config())["sent"] == waiting
    assert len(inbox.received) == waiting
    assert demo_db.execute("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL").fetchone()[0] == 0
