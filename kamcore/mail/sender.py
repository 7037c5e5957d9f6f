"""Sending the outbox over SMTP, with retry and backoff, once per message however many processes send.

Configuration (the operator's; environment first, then the `[smtp]` table of `.streamlit/secrets.toml`):
`KAM_SMTP_HOST`, `KAM_SMTP_PORT` (587), `KAM_SMTP_TLS` (`starttls`, `ssl` or `none`), `KAM_SMTP_USER`,
`KAM_SMTP_PASSWORD`, `KAM_SMTP_FROM`. No host: nothing is sent (messages wait in the outbox).

A sender claims a batch with one UPDATE … WHERE claimed_by IS NULL (SQLite runs it under its write lock, so two
processes never claim the same row), sends it, and marks each row sent — or releases it with the error and a
later `next_try_at` (30 s, 1, 2, 4 … minutes, at most an hour). A claim left by a process that died is released
after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import tomllib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlite_utils import Database

from kamcore import clock, settings, store
from kamcore.mail import triggers

SECRETS = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml"
BATCH = 20
CLAIM_TIMEOUT = timedelta(minutes=10)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
INTERVAL_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send."""

    host: str
    port: int = 587
    tls: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password: str = ""
    sender: str = "KAM War Room <warroom@localhost>"


def config() -> SmtpConfig | None:
    """The operator's SMTP settings, or None when no host is configured (then nothing is sent)."""
    table: dict = {}
    if SECRETS.exists():
        with SECRETS.open("rb") as handle:
            table = tomllib.load(handle).get("smtp", {})

    def setting(name: str, default: str = "") -> str:
        return str(getattr(settings.current(), f"smtp_{name}") or table.get(name) or default).strip()

    host = setting("host")
    if not host:
        return None
    return SmtpConfig(host, int(setting("port", "587")), setting("tls", "starttls").lower(), setting("user"),
                      setting("password"), setting("from", SmtpConfig.sender))


def backoff(attempts: int) -> timedelta:
    """How long to wait before try number `attempts + 1`."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def _claim(db: Database, worker: str) -> list[dict]:
    now = clock.now()
    with store.transaction(db):
        db.execute("UPDATE mail_outbox SET claimed_by = NULL, claimed_at = NULL WHERE sent_at IS NULL "
                   "AND claimed_by IS NOT NULL AND claimed_at < ?", [(now - CLAIM_TIMEOUT).isoformat(timespec="seconds")])
        db.execute("""UPDATE mail_outbox SET claimed_by = ?, claimed_at = ?
                      WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND claimed_by IS NULL
                                     AND next_try_at <= ? ORDER BY id LIMIT ?) AND claimed_by IS NULL""",
                   [worker, now.isoformat(timespec="seconds"), now.isoformat(timespec="seconds"), BATCH])
    return store.rows(db, "SELECT * FROM mail_outbox WHERE claimed_by = ? AND sent_at IS NULL ORDER BY id", [worker])


def _connect(settings: SmtpConfig) -> smtplib.SMTP:
    if settings.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=20)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=20)
        if settings.tls == "starttls":
            server.starttls()
    if settings.user:
        server.login(settings.user, settings.password)
    return server


def _email(settings: SmtpConfig, row: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, row["recipient"], row["subject"]
    message["Message-ID"] = f"<outbox-{row['id']}-{row['dedupe_key'].replace(':', '.')}@kam-war-room>"
    message.set_content(row["body"])
    return message


def send_due(db: Database, settings: SmtpConfig | None, worker: str | None = None) -> dict[str, int]:
    """Send what is due: {"sent": n, "failed": n}. No settings: nothing is claimed or sent."""
    if settings is None:
        return {"sent": 0, "failed": 0}
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    rows = _claim(db, worker)
    sent = failed = 0
    server = None
    for row in rows:
        try:
            server = server or _connect(settings)
            server.send_message(_email(settings, row))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            attempts = row["attempts"] + 1
            with store.transaction(db):
                db.execute("""UPDATE mail_outbox SET attempts = ?, last_error = ?, next_try_at = ?, claimed_by = NULL,
                              claimed_at = NULL WHERE id = ?""",
                           [attempts, f"{type(error).__name__}: {error}"[:300],
                            (clock.now() + backoff(attempts)).isoformat(timespec="seconds"), row["id"]])
            server = None
            continue
        sent += 1
        with store.transaction(db):
            db.execute("UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?",
                       [clock.now_iso(), row["id"]])
    if server is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):  # sent is sent: a failed goodbye changes nothing
            server.quit()
    return {"sent": sent, "failed": failed}


def run_once(db: Database) -> dict[str, int]:
    """One round of the sender: queue what is due (`triggers.collect`) and send the outbox. No SMTP configured:
    nothing is queued or sent."""
    settings = config()
    if settings is None:
        return {"queued": 0, "sent": 0, "failed": 0}
    return {"queued": triggers.collect(db), **send_due(db, settings)}
