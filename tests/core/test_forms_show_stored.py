"""Every version-aware form shows what is stored, however it is reached, and a save writes only what changed.

For each form: open it each way — straight from a link with `?account=`, after another tab was opened first,
on the run after it was first drawn (what a browser that had not drawn that tab yet shows), after a teammate's
write — and compare every field with the database; then change one field, save, and check that exactly that
field got an audit row. Issue 27: the portfolio assessment form showed Scale 1, Potential 0.00… unless the
Potential grid tab was opened first, and its Save overwrote every field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kamcore import money, records, store, users
from kamcore.decision_chain import stakeholders as sh
from kamcore.i18n import choice_label
from kamcore.learning import retrospectives
from tests.conftest import account_id, query, query_value, signed_in_app
from tests.forms import fields, shown


@dataclass(frozen=True)
class Case:
    """One form: where it is, how its stored row reads, which field a save changes."""

    name: str
    page: str
    table: str  # the versioned table the form edits
    entity: str  # its audit entity
    form_key: str  # `{id}` is the row's id
    row_sql: str | None  # selects the row's id, given the account id (None: the row the page picks first)
    change: tuple[str, Any]  # (field, new value as the widget takes it)
    teammate: tuple[str, Any]  # (column, value) a teammate writes straight through kamcore.records
    tab: tuple[str, str] | None = None  # (tabs key, label of the form's tab) for a page with lazy tabs
    other_tab: str | None = None
    choices: dict[str, str] = field(default_factory=dict)  # field -> choice kind (label shown)
    setup: Callable[[Path], None] | None = None  # makes the row when the demo has none to edit


def _draft_retrospective(db_path: Path) -> None:
    """A draft mid-deal retrospective on Huaxin with a rival and a summary (the demo's are final)."""
    db = store.connect(db_path)
    try:
        li = users.find_by_username(db, "li.wei")
        huaxin = db.execute("SELECT id FROM accounts WHERE name = ?", [ACCOUNT]).fetchone()[0]
        deal = db.execute("SELECT id FROM opportunities WHERE account_id = ? AND status = 'open' ORDER BY id",
                          [huaxin]).fetchone()[0]
        retrospectives.create_retrospective(db, li, {"account_id": huaxin, "opportunity_id": deal,
                                                     "review_type": "mid_deal", "title": "Mid-deal check",
                                                     "rival": "Rival A", "summary": "Where the deal stands"})
    finally:
        db.close()


ACCOUNT = "Huaxin Semiconductor"
CASES = [
    Case("portfolio assessment", "pages/portfolio.py", "account_positions", "account_position", "position",
         "SELECT id FROM account_positions WHERE account_id = ?", ("obtainable_share", 55.0), ("scale", 2),
         tab=("portfolio.tabs", "This account"), other_tab="Potential grid",
         choices={"our_position": "our_position", "chosen_posture": "posture", "horizon_years": "horizon"}),
    Case("account profile", "pages/account.py", "accounts", "account", "profile",
         "SELECT id FROM accounts WHERE id = ?", ("region", "North"), ("industry", "Chips"),
         choices={"status": "status"}),
    Case("opportunity overview", "pages/opportunities.py", "opportunities", "opportunity", "opp.edit.{id}",
         "SELECT id FROM opportunities WHERE account_id = ? AND status = 'open' ORDER BY id LIMIT 1",
         ("next_step", "Call the fab director"), ("competitors", "Rival A"),
         choices={"follow_up": "follow_up"}),
    Case("retrospective head", "pages/retrospectives.py", "retrospectives", "retrospective", "retro.head.{id}",
         "SELECT id FROM retrospectives WHERE account_id = ? AND status = 'draft' ORDER BY id DESC LIMIT 1",
         ("rival", "Rival B"), ("summary", "Written by a teammate"), setup=_draft_retrospective),
    Case("stakeholder", "pages/decision_chain.py", "stakeholders", "stakeholder", "person",
         None,
         ("department", "Fab 2"), ("job_title", "Plant director"), tab=("dc.tabs", "People"), other_tab="Map",
         choices={"level": "level", "stance": "stance", "stage": "stage", "stage_target": "stage",
                  "standing": "standing", "standing_target": "standing", "checkin_days": "revisit"}),
]


def _stored(db_path, case: Case, row_id: int) -> dict[str, Any]:
    db = store.connect(db_path)
    try:
        return _row(db, case.table, row_id)
    finally:
        db.close()


def _row(db, table: str, row_id: int) -> dict[str, Any]:
    cursor = db.execute(f"SELECT * FROM {table} WHERE id = ?", [row_id])
    return dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))


def _expected(case: Case, name: str, value: Any, widget: Any) -> Any:
    """A stored value as the widget shows it: a choice by its label, a date as ISO text, a set as a list."""
    kind = type(widget).__name__
    if name in case.choices:
        return None if value is None else choice_label(case.choices[name], value, "en")
    if kind == "Selectbox":  # an id or number choice (owner, product line, horizon, score): by the page's label
        return "<any>"
    if kind == "Multiselect":
        return [choice_label("buying_role", r, "en") for r in sh.role_list(value)]
    if kind == "DateInput":
        return value[:10] if value else None
    if kind == "Checkbox":
        return bool(value)
    if kind == "SelectSlider":
        return str(value)
    if kind in ("TextInput", "TextArea"):
        return value or ""
    return value


def _blank(value: Any) -> Any:
    """Empty text, the "—" of an empty choice and None read alike."""
    return None if value in ("", "—") else value


def _compare(at, case: Case, key: str, row: dict[str, Any], when: str) -> None:
    drawn = fields(at, key)
    assert drawn, f"{case.name} ({when}): the form is drawn"
    for name, widget in drawn.items():
        if name not in row:
            continue
        want = _expected(case, name, row[name], widget)
        got = shown(widget)
        if want == "<any>":
            assert (_blank(got) is None) == (row[name] is None), f"{case.name} ({when}): {name} shows {got!r}, stored {row[name]!r}"
            continue
        if isinstance(got, str) and isinstance(want, float):  # an amount input shows the amount as typed
            got = money.parse(got, name) if got else None
        if isinstance(want, float) or isinstance(got, float):
            assert got is not None and want is not None and abs(float(got) - float(want)) < 1e-9, \
                f"{case.name} ({when}): {name} shows {got!r}, stored {row[name]!r}"
        else:
            assert _blank(got) == _blank(want), f"{case.name} ({when}): {name} shows {got!r}, stored {row[name]!r}"


def _row_id(at, case: Case, account: int, db_path) -> int:
    """The id of the row the form edits: by the case's query, else the one the page picked (its widget keys)."""
    if case.row_sql:
        return query_value(db_path, case.row_sql, [account])
    keys = [w.key for kind in ("text_input", "text_area") for w in getattr(at, kind)
            if (w.key or "").startswith(case.form_key + ".")]
    return int(keys[0].split(".")[-3])


def _open(demo_path, case: Case, account: int, first_tab: str | None):
    if case.setup:
        case.setup(demo_path)
    at = signed_in_app(demo_path, "li.wei", case.page, account)
    if case.tab:
        if first_tab:
            at.session_state[case.tab[0]] = first_tab
            at.run()
        at.session_state[case.tab[0]] = case.tab[1]
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("way", ["link", "another tab first"])
def test_every_field_shows_the_stored_value_on_every_run(demo_path, case, way):
    account = account_id(demo_path, ACCOUNT)
    at = _open(demo_path, case, account, case.other_tab if way == "another tab first" else None)
    row_id = _row_id(at, case, account, demo_path)
    key = case.form_key.format(id=row_id)
    row = _stored(demo_path, case, row_id)
    _compare(at, case, key, row, f"{way}, first draw")
    at.run()  # a rerun (another widget, a fragment): a browser drawing the form only now sees what this run sent
    _compare(at, case, key, row, f"{way}, next run")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_teammates_write_shows_in_the_untouched_fields(demo_path, case):
    account = account_id(demo_path, ACCOUNT)
    at = _open(demo_path, case, account, None)
    row_id = _row_id(at, case, account, demo_path)
    key = case.form_key.format(id=row_id)
    column, value = case.teammate
    db = store.connect(demo_path)
    try:
        entity = records.entity(case.entity)
        version = _row(db, case.table, row_id)["version"]
        records.update(db, users.find_by_username(db, "admin"), entity, row_id, version, {column: value})
    finally:
        db.close()
    at.run()
    assert not at.exception, at.exception
    row = _stored(demo_path, case, row_id)
    assert row[column] == value
    _compare(at, case, key, row, "after a teammate's write")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_save_writes_only_the_field_that_was_changed(demo_path, case):
    account = account_id(demo_path, ACCOUNT)
    at = _open(demo_path, case, account, case.other_tab)
    row_id = _row_id(at, case, account, demo_path)
    key = case.form_key.format(id=row_id)
    at.run()  # the form drawn on an earlier run: the browser holds the widgets' own values
    before = query_value(demo_path, "SELECT coalesce(max(id), 0) FROM audit_log")
    name, value = case.change
    widget = fields(at, key)[name]
    widget.set_value(value)
    submit = next(b for b in at.button if b.proto.is_form_submitter and b.proto.form_id == widget.proto.form_id)
    submit.click().run()
    assert not at.exception, at.exception
    written = query(demo_path, "SELECT entity, entity_id, field FROM audit_log WHERE id > ?", [before])
    assert written == [(case.entity, row_id, name)], f"{case.name}: only {name} is written, got {written}"

