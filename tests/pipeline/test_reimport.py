"""Importing the Maven CRM sample again next month: 100 rows changed and 50 added show as 100 / 50 / the rest
unchanged, exactly that is applied, and a deal edited in the war room in between is a conflict, not overwritten."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from kamcore import clock, records, store, users
from kamcore.data.imports import files
from kamcore.errors import ConflictError
from kamcore.pipeline import deal_import as oi
from kamcore.pipeline import opportunities as opp

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "maven-crm" / "sales_pipeline.csv"
MAPPING = oi.ImportMapping(
    columns={"external_id": "opportunity_id", "owner": "sales_agent", "product_line": "product",
             "account": "account", "stage": "deal_stage", "opened_on": "engage_date", "closed_on": "close_date",
             "amount": "close_value"},
    values={"stage": {"Prospecting": "lead", "Engaging": "qualify", "Won": "won", "Lost": "lost"},
            "product_line": {"GTXPro": "GTX Pro"}},
    default_account="(no account in CRM)", create_accounts=True, create_product_lines=True, default_currency="USD")
FIRST, SECOND = datetime(2026, 5, 4, 9, 0, tzinfo=UTC), datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _csv(frame: pd.DataFrame) -> pd.DataFrame:
    return files.read_table(frame.to_csv(index=False).encode(), "sales_pipeline.csv")


@pytest.fixture(scope="module")
def month():
    """Last month's export imported; this month's export: 100 won amounts changed and 50 deals added."""
    db = store.connect(":memory:")
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    last, added = raw.iloc[:-50], raw.iloc[-50:]
    with clock.at(FIRST):
        oi.commit_import(db, admin, oi.plan_import(db, admin, _csv(last), MAPPING))
    this = pd.concat([last, added]).copy()
    changed = this.index[(this.deal_stage == "Won")][:100]
    this.loc[changed, "close_value"] = (this.loc[changed, "close_value"].astype(int) + 7).astype(str)
    yield {"db": db, "admin": admin, "this": this, "changed": set(this.loc[changed, "opportunity_id"]),
           "added": set(added.opportunity_id), "last": last}
    db.close()


def _amounts(db) -> dict[str, float | None]:
    return dict(db.execute("SELECT external_id, amount FROM opportunities").fetchall())


def test_the_preview_shows_changed_new_unchanged_and_a_war_room_edit_as_a_conflict(month):
    db, admin, this = month["db"], month["admin"], month["this"]
    with clock.at(SECOND):
        plan = oi.plan_import(db, admin, _csv(this), MAPPING)
    assert plan.ok
    assert (len(plan.changed), len(plan.rows), plan.unchanged, plan.conflicts) == (100, 50, len(this) - 150, [])
    assert {c["external_id"] for c in plan.changed} == month["changed"]
    assert {r["values"]["external_id"] for r in plan.rows} == month["added"]
    one = plan.changed[0]
    assert [f for f, _, _ in one["fields"]] == ["amount"] and one["fields"][0][2] == one["fields"][0][1] + 7

    # a teammate edits one of the changed deals in the war room: the next preview shows it as a conflict
    edited = records.get(db, opp.OPPORTUNITY, plan.changed[0]["id"])
    with clock.at(SECOND):
        records.update(db, admin, opp.OPPORTUNITY, edited["id"], edited["version"], {"next_step": "Call the CFO"})
        plan = oi.plan_import(db, admin, _csv(this), MAPPING)
    assert (len(plan.changed), len(plan.rows), len(plan.conflicts)) == (99, 50, 1)
    assert plan.conflicts[0]["external_id"] == edited["external_id"]

    # the person applies the changes only: exactly 99 amounts move, nothing is created, the conflict is kept
    before = _amounts(db)
    with clock.at(SECOND):
        result = oi.commit_import_once(db, admin, plan, apply=(oi.CHANGED,))
    assert (result["created"], result["updated"]) == (0, 99)
    after = _amounts(db)
    moved = {k for k in before if before[k] != after[k]}
    assert moved == month["changed"] - {edited["external_id"]}
    assert all(after[k] == before[k] + 7 for k in moved)
    assert set(after) == set(before)  # nothing new
    kept = records.get(db, opp.OPPORTUNITY, edited["id"])
    assert (kept["amount"], kept["next_step"]) == (edited["amount"], "Call the CFO")

    # then the new ones: 50 created, and the preview after that has only the conflict left
    with clock.at(SECOND):
        plan = oi.plan_import(db, admin, _csv(this), MAPPING)
        assert (len(plan.changed), len(plan.rows), len(plan.conflicts)) == (0, 50, 1)
        oi.commit_import_once(db, admin, plan, apply=(oi.NEW,))
        again = oi.plan_import(db, admin, _csv(this), MAPPING)
    assert set(_amounts(db)) == set(before) | month["added"]
    assert (len(again.changed), len(again.rows), len(again.conflicts), again.unchanged) == (0, 0, 1, len(this) - 1)


def test_a_deal_edited_between_preview_and_commit_stops_the_whole_import(month):
    db, admin = month["db"], month["admin"]
    this = month["this"].copy()
    won = this.index[(this.deal_stage == "Won")][200:203]
    this.loc[won, "close_value"] = "1"
    extra = this.iloc[:2].copy()
    extra["opportunity_id"] = ["NEW-1", "NEW-2"]
    this = pd.concat([this, extra])
    with clock.at(SECOND):
        plan = oi.plan_import(db, admin, _csv(this), MAPPING)
    assert (len(plan.changed), len(plan.rows)) == (3, 2)
    target = records.get(db, opp.OPPORTUNITY, plan.changed[-1]["id"])
    records.update(db, admin, opp.OPPORTUNITY, target["id"], target["version"], {"next_step": "Edited meanwhile"})
    before = (_amounts(db), db.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    with pytest.raises(ConflictError):
        oi.commit_import_once(db, admin, plan)
    assert (_amounts(db), db.execute("SELECT count(*) FROM audit_log").fetchone()[0]) == before
    assert db.execute("SELECT count(*) FROM import_runs WHERE token = ?", [plan.token]).fetchone()[0] == 0


def test_deals_imported_before_and_missing_from_the_file_are_listed_and_kept(month):
    db, admin = month["db"], month["admin"]
    smaller = month["this"].iloc[10:]
    with clock.at(SECOND):
        plan = oi.plan_import(db, admin, _csv(smaller), MAPPING)
    gone = set(month["this"].iloc[:10].opportunity_id)
    assert {m["external_id"] for m in plan.missing} == gone
    assert gone <= set(_amounts(db))
