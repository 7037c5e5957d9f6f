"""Issue 26, done when: the public Maven CRM sample (whole US dollars) imported through the import functions; the
walk-through's, the pipeline page's and the portfolio's won figures equal the sums computed from the CSV itself,
to the unit (the walk-through once said "USD 519.3 M" for the USD 519,349 a group won)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from kamcore import accounts, money, store, users
from kamcore.data.imports import accounts as acc_import
from kamcore.data.imports import files
from kamcore.pipeline import analytics
from kamcore.pipeline import deal_import as oi
from tests.conftest import account_id, signed_in_app
from tests.pipeline.test_import import MAVEN as DEALS

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "maven-crm"


def _exact(values: pd.Series) -> float:
    """A sum of the file's amounts as a person adds them, exactly (Decimal of the CSV's text)."""
    return float(sum((Decimal(str(v)) for v in values.dropna()), Decimal(0)))


@pytest.fixture(scope="module")
def maven_app(tmp_path_factory):
    """The accounts (with their groups) and the 8,800 deals imported into a fresh database file."""
    path = tmp_path_factory.mktemp("maven") / "maven.db"
    db = store.connect(path)
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    frame = files.read_table((SAMPLE / "accounts.csv").read_bytes(), "accounts.csv")
    plan = acc_import.plan_accounts(db, admin, frame, acc_import.AccountMapping(
        columns=acc_import.guess_mapping(list(frame.columns)), default_currency="USD"))
    acc_import.commit_accounts(db, admin, plan)
    deals = oi.plan_import(db, admin, oi.read_table((SAMPLE / "sales_pipeline.csv").read_bytes(), "sales_pipeline.csv"),
                           DEALS)
    assert deals.ok
    oi.commit_import(db, admin, deals)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    raw = pd.read_csv(SAMPLE / "sales_pipeline.csv")
    return path, raw, pd.read_csv(SAMPLE / "accounts.csv")


def test_the_stored_won_value_is_the_files_sum_to_the_unit(maven_app):
    path, raw, _ = maven_app
    db = store.connect(path)
    admin = users.find_by_username(db, "admin")
    figures = analytics.summary(db, [r[0] for r in db.execute("SELECT id FROM accounts")])
    db.close()
    won = _exact(raw.loc[raw.deal_stage == "Won", "close_value"])
    assert won == 10_005_534.0  # the file's own total, in whole dollars
    assert figures["won_by_currency"] == {"USD": won}
    assert admin is not None


def test_the_pipeline_page_shows_the_files_won_value_with_its_currency(maven_app, monkeypatch):
    path, raw, _ = maven_app
    monkeypatch.setenv(store.ENV_VAR, str(path))
    won = _exact(raw.loc[raw.deal_stage == "Won", "close_value"])
    for lang, label in (("en", "Won value"), ("zh", "赢单金额")):
        at = signed_in_app(path, "admin", "pages/pipeline.py", lang=lang)
        at.radio(key="pipe.scope").set_value("all").run()  # every account, not the one picked in the sidebar
        assert not at.exception, at.exception
        shown = {m.label: m.value for m in at.metric}[label]
        assert shown == money.fmt(won, "USD", lang) == {"en": "USD 10.01 M", "zh": "1,000.55 万美元"}[lang]


def test_the_walkthrough_and_the_portfolio_show_a_groups_won_value_as_the_file_sums_it(maven_app, monkeypatch):
    path, raw, companies = maven_app
    monkeypatch.setenv(store.ENV_VAR, str(path))
    members = set(companies.loc[companies.subsidiary_of == "Acme Corporation", "account"]) | {"Acme Corporation"}
    won = raw[(raw.deal_stage == "Won") & raw.account.isin(members)]
    expected = _exact(won.close_value)
    assert expected == 519_349.0  # the "USD 519.3 M" was this sum taken for thousands
    db = store.connect(path)
    admin = users.find_by_username(db, "admin")
    (acme,) = [g for g in accounts.rollup(db, admin) if g["name"] == "Acme Corporation"]
    db.close()
    assert acme["by_currency"]["USD"]["won_value"] == expected and acme["by_currency"]["USD"]["won"] == len(won)

    walk = signed_in_app(path, "admin", "pages/walkthrough.py", account_id(path, "Acme Corporation"))
    assert not walk.exception, walk.exception
    line = next(c.value for c in walk.caption if c.value.startswith("Group Acme Corporation"))
    assert f"{len(won)} won (USD 519.3 k)" in line and money.fmt(expected, "USD", "en") == "USD 519.3 k"

    portfolio = signed_in_app(path, "admin", "pages/portfolio.py")
    assert not portfolio.exception, portfolio.exception
    groups = next(f.value for f in portfolio.dataframe if "Group" in f.value.columns)
    row = groups[groups["Group"] == "Acme Corporation"].iloc[0]
    assert (row["Won deals"], row["Won value"]) == (len(won), "USD 519.3 k")
