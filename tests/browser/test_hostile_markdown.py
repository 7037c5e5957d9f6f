"""Issue 28, item 1, done-when: hostile Markdown in every free-text field of one account, every page visited in a
real browser — no request reaches a listener the text points to, and no bold or italics come from user text."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import sqlite3
import threading
import typing

import pytest

from kamcore import records, store
from tests.browser.server import running_app
from tests.browser.sign_in import settle
from tests.browser.test_browser_app import MAIN, _open, _pages

# fields that hold structured text a page parses (ids, references, JSON, codes), not prose
STRUCTURED = {"source", "scope", "mentions", "roles", "currency", "code", "conditions", "snapshot", "definition",
              "contributions", "attributes", "since", "email", "phone", "entity", "agreed_by", "password_hash",
              "signed_at", "submitted_at", "reviewed_at", "activated_at", "username", "lang"}


class Counter(http.server.BaseHTTPRequestHandler):
    """Counts every request: any hit is the browser fetching what user text pointed at."""

    hits: typing.ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _free_text_fields(entity: records.Entity) -> list[str]:
    out = []
    for name, info in entity.model.model_fields.items():
        if info.annotation in (str, str | None) and name not in STRUCTURED and not name.endswith(("_at", "_on")):
            out.append(name)
    return out


def _taint(path, account_name: str, hostile: str) -> int:
    """Put `hostile` into every free-text field of every row of the account (and the account itself)."""
    db = store.connect(path)
    (account,) = db.execute("SELECT id FROM accounts WHERE name = ?", [account_name]).fetchone()
    for entity in records.all_entities():
        fields = [f for f in _free_text_fields(entity) if f in {c.name for c in db[entity.table].columns}]
        if not fields or entity.account_field is None:
            continue
        column = "id" if entity.account_field == "id" else entity.account_field
        for name in fields:  # ' #id' keeps unique columns unique; a column that references another table stays
            with contextlib.suppress(sqlite3.IntegrityError):
                db.conn.execute(f"UPDATE [{entity.table}] SET [{name}] = ? || ' #' || id WHERE [{column}] = ?",
                                [hostile, account])
    db.conn.commit()
    db.close()
    return account


@pytest.fixture(scope="module")
def listener():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = http.server.HTTPServer(("127.0.0.1", port), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()


def test_hostile_markdown_everywhere_fetches_nothing_and_renders_no_bold_or_italics(demo_template, tmp_path_factory,
                                                                                  new_page, listener):
    hostile = (f"![x](http://127.0.0.1:{listener}/img.png) **hostilebold** *hostileitalic* {{{{7*7}}}} "
               f"[hostilelink](http://127.0.0.1:{listener}/link) <img src=http://127.0.0.1:{listener}/html.png>")
    path = tmp_path_factory.mktemp("hostile") / "app.db"
    shutil.copy(demo_template, path)
    account = _taint(path, "Huaxin Semiconductor", hostile)
    formatted, fetched = [], []
    with running_app(path) as url:
        page = new_page(1366, 768)
        for _, url_path in _pages():
            seen = len(Counter.hits)
            _open(page, url, url_path, account)
            settle(page)
            page.wait_for_timeout(300)  # images would have been asked for by now
            fetched += [f"{url_path}: {hit}" for hit in Counter.hits[seen:]]
            # the app's own bold may wrap user text, which then still reads "**hostilebold**"; Markdown made by the
            # user text itself would show the word without its marks
            styled = page.locator(f"{MAIN} strong, {MAIN} em, {MAIN} a, {MAIN} img").evaluate_all(r"""els => els
                .map(e => e.tagName === 'IMG' ? (e.src.includes('img.png') ? 'IMG ' + e.src : '') : e.textContent)
                .filter(t => t.startsWith('IMG ')
                    || (t.includes('hostilebold') && !t.includes('**hostilebold**'))
                    || (t.includes('hostileitalic') && !t.includes('*hostileitalic*'))
                    || (t.includes('hostilelink') && !t.includes('[hostilelink]')))""")
            formatted += [f"{url_path}: {text[:60]}" for text in styled]
    assert fetched == [], "the browser fetched what user text pointed at:\n" + "\n".join(fetched)
    assert formatted == [], "user text rendered as Markdown:\n" + "\n".join(formatted)
