"""Fuzzed input over the kamcore write paths and the importer (hypothesis).

Property, for every write path: any input either succeeds or raises a clean
`KamError` (ValidationError, PermissionDenied, NotFoundError, ConflictError), and a
refused write leaves the database content exactly as it was (`replay.digest`).
Inputs mix junk (wrong types, huge numbers, NaN, control characters, unknown
fields) with nearly valid records, so both the refusals and the database-level
constraints behind successful validation get exercised.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamcore import accounts, passwords, product_lines, store, team, users
from kamcore.data import replay  # noqa: E402
from kamcore.errors import KamError

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                derandomize=True)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=40),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "Lo", "So", "Po"]), max_size=20),
    st.text(min_size=4000, max_size=4100, alphabet="ab "),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)).map(str),
    st.sampled_from(["", " ", "  x  ", "CNY", "cny", "US", "active", "lost", "at_risk", "admin", "member",
                     "account_manager", "viewer", "executive", "lead", "qualify", "won", "open", "zh", "en",
                     "2026-02-30", "1e309", "NaN", "<script>alert(1)</script>", "Robert'); DROP TABLE accounts;--",
                     "decision_maker,purchaser", "decision_maker,nobody", "huaxin semiconductor",
                     # control and zero-width characters (issue 20): refused naming the field, or a paste's
                     # vertical tab turned into a line break; a name of only zero-width characters is empty
                     "Huaxin\x00", "line\x0bbreak", "\x1f", "x\x7f", "\u200b", "\ufeff\u200d", "\u200bHuaxin\ufeff",
                     "decision_maker,\x00purchaser"]),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=4), SCALARS, max_size=2))


def records_for(fields: list[str], base: dict | None = None) -> st.SearchStrategy[dict]:
    """Random dicts over the model's fields plus junk keys; half of them start from a valid record."""
    keys = st.sampled_from([*fields, "id", "version", "updated_by", "bogus", ""])
    junk = st.dictionaries(keys, VALUES, max_size=len(fields) + 2)
    if base is None:
        return junk
    nearly = st.tuples(junk.map(lambda d: dict(list(d.items())[:2])), st.just(base)).map(lambda p: {**p[1], **p[0]})
    return st.one_of(junk, nearly)


@pytest.fixture
def fuzz_path(demo_template, tmp_path):
    path = tmp_path / "fuzz.db"
    shutil.copy(demo_template, path)
    return path


@contextmanager
def opened(path):
    db = store.connect(path)
    try:
        yield db
    finally:
        db.close()


def clean_or_unchanged(db, write) -> object:
    """Run `write`; a KamError must leave the content unchanged, any other exception fails the test."""
    before = replay.digest(db)
    try:
        return write()
    except KamError as exc:
        assert exc.message("en") and exc.message("zh")
        assert not db.conn.in_transaction, "a refused write left a transaction open"
        assert replay.digest(db) == before, f"refused write changed the database: {exc!r}"
        return exc


def _someone(db, username="admin"):
    return users.find_by_username(db, username)


ACCOUNT_FIELDS = list(accounts.AccountIn.model_fields)
VALID_ACCOUNT = {"name": "Fuzz Co", "industry": "Test", "region": "Lab", "currency": "CNY", "status": "active",
                 "notes": ""}


@FUZZ
@given(values=records_for(ACCOUNT_FIELDS, VALID_ACCOUNT))
def test_creating_accounts_from_any_dict(fuzz_path, values):
    with opened(fuzz_path) as db:
        clean_or_unchanged(db, lambda: accounts.create_account(db, _someone(db), values))


@FUZZ
@given(changes=records_for(ACCOUNT_FIELDS), version=st.one_of(st.just("current"), st.integers(-3, 2**70)),
       who=st.sampled_from(["admin", "li.wei", "guest", "chen.jie"]), which=st.integers(0, 15))
def test_updating_accounts_with_any_changes_version_and_user(fuzz_path, changes, version, who, which):
    with opened(fuzz_path) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM accounts ORDER BY id")]
        account_id = ids[which] if which < len(ids) else 10**6 + which
        found = db.execute("SELECT version FROM accounts WHERE id = ?", [account_id]).fetchone()
        base = (found[0] if found else 1) if version == "current" else version
        clean_or_unchanged(db, lambda: accounts.update_account(db, _someone(db, who), account_id, base, changes))


TEAM_FIELDS = list(team.TeamMemberIn.model_fields)


@FUZZ
@given(values=records_for(TEAM_FIELDS, {"account_id": 1, "user_id": 12, "role": "viewer", "first_responsible": False}),
       who=st.sampled_from(["admin", "li.wei", "zhang.min"]))
def test_adding_team_members_from_any_dict(fuzz_path, values, who):
    from kamcore import records

    with opened(fuzz_path) as db:
        clean_or_unchanged(db, lambda: records.create(db, _someone(db, who), team.ENTITY, values))


@FUZZ
@given(changes=records_for(TEAM_FIELDS), which=st.integers(0, 60), stale=st.booleans(),
       action=st.sampled_from(["change", "remove", "hand_over"]))
def test_changing_team_members_with_any_input(fuzz_path, changes, which, stale, action):
    with opened(fuzz_path) as db:
        admin = _someone(db)
        found = db.execute("SELECT id, version, account_id FROM account_team ORDER BY id LIMIT 1 OFFSET ?",
                           [which]).fetchone() or (10**6, 1, 1)
        member_id, version, account_id = found
        base = version - 1 if stale else version
        if action == "change":
            clean_or_unchanged(db, lambda: team.change_member(db, admin, member_id, base, changes))
        elif action == "remove":
            clean_or_unchanged(db, lambda: team.remove_member(db, admin, member_id, base))
        else:
            clean_or_unchanged(db, lambda: team.hand_over_first_responsibility(db, admin, account_id, member_id, base))


LINE_FIELDS = list(product_lines.ProductLineIn.model_fields)


@FUZZ
@given(values=records_for(LINE_FIELDS, {"code": "FUZZ", "name": "Fuzz line", "description": "", "active": True}),
       changes=records_for(LINE_FIELDS), who=st.sampled_from(["admin", "li.wei"]))
def test_product_lines_from_any_dict(fuzz_path, values, changes, who):
    with opened(fuzz_path) as db:
        actor = _someone(db, who)
        clean_or_unchanged(db, lambda: product_lines.create_product_line(db, actor, values))
        line = db.execute("SELECT id, version FROM product_lines ORDER BY id DESC LIMIT 1").fetchone()
        clean_or_unchanged(db, lambda: product_lines.update_product_line(db, actor, line[0], line[1], changes))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(username=VALUES, name=VALUES, password=VALUES, role=VALUES, lang=VALUES,
       changes=records_for(["display_name", "global_role", "lang", "active", "password_hash", "username"]),
       who=st.sampled_from(["admin", "li.wei"]))
def test_users_from_any_input(fuzz_path, username, name, password, role, lang, changes, who):
    with opened(fuzz_path) as db:
        actor = _someone(db, who)
        clean_or_unchanged(db, lambda: users.create_user(db, actor, username, name, password, role, lang))
        target = users.get_user_row(db, 3)
        clean_or_unchanged(db, lambda: users.update_user(db, actor, 3, target["version"], changes))
        clean_or_unchanged(db, lambda: passwords.reset_password(db, actor, 3, password))
        assert users.authenticate(db, username if isinstance(username, str) else "", password
                                  if isinstance(password, str) else "") is None or isinstance(username, str)
