"""Mail on the pages: each person's own choices (My work) and the operator's view (Admin). The sender thread is
started here, once per server process; no page run ever sends."""

from __future__ import annotations

import threading
import time

import streamlit as st

from kamcore import store, users
from kamcore.mail import outbox, sender
from kamcore.text import plain
from kamui import context
from kamui.editing import attempt, flash

_started = threading.Lock()
_threads: dict[str, threading.Thread] = {}


def start_sender(interval: float = sender.INTERVAL_SECONDS) -> bool:
    """Start this server process's mail sender thread (once; later calls do nothing). Returns whether it started
    now. Each round opens its own connection; a failing round is tried again at the next one, and the page is
    never affected (a message's own error is kept on its outbox row for the admin page)."""
    if not st.context.headers.get("Host"):  # AppTest: no server process to send from
        return False
    with _started:
        if "sender" in _threads:
            return False
        path = store.database_path()

        def loop() -> None:
            while True:
                time.sleep(interval)
                if sender.config() is None:  # nothing to send with: not even a connection
                    continue
                try:
                    db = store.connect(path)
                    try:
                        sender.run_once(db)
                    finally:
                        db.close()
                except Exception:  # noqa: BLE001 — a round that fails (database busy, SMTP gone) waits for the next
                    continue

        _threads["sender"] = threading.Thread(target=loop, name="kam-mail-sender", daemon=True)
        _threads["sender"].start()
        return True


def preferences_panel() -> None:
    """The person's e-mail address and which kinds of mail they get."""
    page = context.page()
    row = users.get_user_row(page.db, page.user.id)
    st.subheader(page.t("mail.prefs.title"))
    if row["email"]:
        st.caption(page.t("mail.prefs.caption", email=plain(row["email"])))
    else:
        st.warning(page.t("mail.prefs.no_email"))
    with st.form("mail.prefs"):
        email = st.text_input(page.t("field.email"), value=row["email"], key="mail.email", max_chars=200)
        chosen = {kind: st.toggle(page.t(f"mail.kind.{kind}"), value=on, key=f"mail.kind.{kind}")
                  for kind, on in outbox.preferences(page.db, page.user).items()}
        if st.form_submit_button(page.t("mail.email.save"), type="primary"):
            def save() -> None:
                if email.strip() != row["email"]:
                    users.update_user(page.db, page.user, page.user.id, row["version"], {"email": email.strip()})
                for kind, on in chosen.items():
                    outbox.set_preference(page.db, page.user, kind, on)
            ok, _ = attempt(save)
            if ok:
                flash(page.t("mail.prefs.saved"))
                st.rerun()


def admin_panel() -> None:
    """Is mail configured, what waits, what fails and why, and who gets nothing for want of an address."""
    page = context.page()
    st.subheader(page.t("mail.admin.title"))
    settings = sender.config()
    if settings is None:
        st.warning(page.t("mail.admin.off"))
    else:
        st.caption(page.t("mail.admin.on", host=settings.host, port=settings.port, tls=settings.tls))
    found = outbox.status(page.db, page.user)
    st.markdown(page.t("mail.admin.counts", waiting=int(found["waiting"]), sent=int(found["sent"]),
                       failing=int(found["failing"])))
    for error in found["errors"]:
        st.error(page.t("mail.admin.error", recipient=plain(error["recipient"]), subject=plain(error["subject"]),
                        error=plain(error["last_error"]), attempts=int(error["attempts"]),
                        next=page.stamp(error["next_try_at"])))
    if found["without_email"]:
        st.info(page.t("mail.admin.without_email", names=", ".join(map(plain, found["without_email"]))))
