"""Huddles: records, "since" defaults, decisions and actions, what-changed sentences, the agenda, the shared screen."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kamcore import accounts, audit, clock, team, users
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.huddle import agenda, huddles, minutes, shared_screen, what_changed


@pytest.fixture
def world(fresh_db, admin):
    """Two accounts; Li Wei manages both, Zhang Min is solution manager on the first, Guest only reads it."""
    db = fresh_db
    with clock.at(datetime(2026, 11, 1, 9, tzinfo=UTC)):
        li = users.create_user(db, admin, "li.wei", "Li Wei", "password-123")
        zhang = users.create_user(db, admin, "zhang.min", "Zhang Min", "password-123")
        guest = users.create_user(db, admin, "guest", "Guest", "password-123")
        one = accounts.create_account(db, admin, {"name": "Acme", "industry": "Steel", "region": "East"})
        two = accounts.create_account(db, admin, {"name": "Beta", "industry": "Grid", "region": "North"})
        team.add_member(db, admin, one["id"], li.id, "account_manager", True)
        team.add_member(db, admin, one["id"], zhang.id, "solution_manager")
        team.add_member(db, admin, one["id"], guest.id, "viewer")
        team.add_member(db, admin, two["id"], li.id, "account_manager", True)
    return {"db": db, "li": li, "zhang": zhang, "guest": guest, "one": one["id"], "two": two["id"]}


def at(day: int, hour: int = 10):
    return clock.at(datetime(2026, 11, day, hour, tzinfo=UTC))


def test_first_huddle_looks_back_a_week_and_the_next_starts_where_it_left_off(world):
    db, li = world["db"], world["li"]
    with at(10):
        first = huddles.start_huddle(db, li, [world["one"]])
    assert first["since"] == "2026-11-03T10:00:00+00:00"
    with at(17):
        second = huddles.start_huddle(db, li, [world["one"]])
    assert second["since"] == first["created_at"] == "2026-11-10T10:00:00+00:00"


def test_since_follows_the_same_scope_only(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddles.start_huddle(db, li, [world["one"], world["two"]])
    with at(12):
        single = huddles.start_huddle(db, li, [world["one"]])
    with at(17):
        group = huddles.start_huddle(db, li, [world["two"], world["one"]])  # order does not matter
    assert single["since"] == "2026-11-05T10:00:00+00:00"  # no earlier single-account huddle
    assert group["since"] == "2026-11-10T10:00:00+00:00"
    assert group["scope"] == f"{world['one']},{world['two']}"


def test_a_since_in_the_future_is_refused_and_nothing_is_written(world):
    db = world["db"]
    with at(10), pytest.raises(ValidationError) as caught:
        huddles.start_huddle(db, world["li"], [world["one"]], since="2026-11-11T09:00:00")
    assert caught.value.problems[0].field == "since"
    assert "future" in caught.value.message("en")
    assert db.execute("SELECT count(*) FROM huddles").fetchone()[0] == 0


def test_an_action_without_owner_or_due_date_is_refused(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]])
        with pytest.raises(ValidationError) as no_owner:
            huddles.add_item(db, li, huddle["id"], "action", "Call the CTO", due_on="2026-11-12")
        with pytest.raises(ValidationError) as no_due:
            huddles.add_item(db, li, huddle["id"], "action", "Call the CTO", owner_id=li.id)
    assert no_owner.value.problems[0].field == "owner_id"
    assert "owner" in no_owner.value.message("en")
    assert no_due.value.problems[0].field == "due_on"
    assert db.execute("SELECT count(*) FROM huddle_items").fetchone()[0] == 0


def test_items_belong_to_an_account_of_the_huddle(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]])
        with pytest.raises(ValidationError) as caught:
            huddles.add_item(db, li, huddle["id"], "decision", "Go", account_id=world["two"])
    assert caught.value.problems[0].reason_key == "reason.not_in_huddle_scope"


def test_readers_cannot_run_a_huddle_and_strangers_cannot_see_one(world, admin):
    db = world["db"]
    with at(10):
        with pytest.raises(PermissionDenied):
            huddles.start_huddle(db, world["guest"], [world["one"]])
        huddle = huddles.start_huddle(db, world["li"], [world["one"], world["two"]])
    with pytest.raises(NotFoundError):  # zhang is not on account two
        huddles.get_huddle(db, world["zhang"], huddle["id"])


def test_open_actions_are_listed_soonest_first_and_done_ones_drop_out(world):
    db, li, zhang = world["db"], world["li"], world["zhang"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]])
        later = huddles.add_item(db, li, huddle["id"], "action", "Later", owner_id=zhang.id, due_on="2026-11-20")
        sooner = huddles.add_item(db, li, huddle["id"], "action", "Sooner", owner_id=zhang.id, due_on="2026-11-12")
        huddles.add_item(db, li, huddle["id"], "decision", "A decision has no owner")
        assert [a["text"] for a in huddles.open_actions(db, li, owner_id=zhang.id)] == ["Sooner", "Later"]
        huddles.set_item_status(db, zhang, sooner["id"], sooner["version"], "done")
    assert [a["id"] for a in huddles.open_actions(db, li, owner_id=zhang.id)] == [later["id"]]


# --- what changed ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("entity", "field", "old", "new", "expected", "important"),
    [
        ("opportunity", "amount", 1_000_000, 1_250_000, "Amount: 1,000,000 → 1,250,000 (+25%)", True),
        ("opportunity", "expected_close", "2026-12-01", "2026-12-31", "(moved out 30 days)", True),
        ("opportunity", "status", "open", "won", "Closed — ", True),
        ("stakeholder", "score", 1, 2, "1 → 2 ▲", True),
        ("stakeholder", "score", 2, -1, "2 → -1 ▼", True),
        ("account", "status", "active", "at_risk", "Status: Active → At risk", False),
        ("account", "notes", "", "x", "Notes: — → x", False),
    ],
)
def test_changes_read_as_sentences(entity, field, old, new, expected, important):
    text, flagged = what_changed.describe_change(entity, field, old, new, "en")
    assert expected in text
    assert flagged is important


def test_day_labels_are_weekdays_within_a_week_and_dates_before():
    today = date(2026, 11, 23)  # a Monday
    assert what_changed.day_label("2026-11-17T10:00:00+00:00", "en", today) == "Tue"
    assert what_changed.day_label("2026-11-17T10:00:00+00:00", "zh", today) == "周二"
    assert what_changed.day_label("2026-11-02T10:00:00+00:00", "en", today) == "Nov 2"


def test_feed_groups_a_save_into_one_item_with_who_and_when_and_a_link(world, admin):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]])
    with at(12):
        account = accounts.get_account(db, li, world["one"])
        accounts.update_account(db, li, world["one"], account["version"], {"status": "at_risk", "region": "South"})
    items = what_changed.feed(db, li, [world["one"]], huddle["since"], "en", today=date(2026, 11, 13))
    acme = next(i for i in items if i.entity == "account")
    texts = [line.text for line in acme.lines]
    assert "Status: Active → At risk, by Li Wei, Thu" in texts
    assert "Region: East → South, by Li Wei, Thu" in texts
    assert acme.link == f"/account?account={world['one']}"
    assert acme.title == "Acme"
    assert all(i.entity != "huddle" for i in items), "the huddle itself is not news"


def test_feed_is_empty_when_nothing_changed_and_refuses_foreign_accounts(world):
    db = world["db"]
    assert what_changed.feed(db, world["li"], [world["one"]], "2026-11-30T00:00:00+00:00") == []
    with pytest.raises(NotFoundError):
        what_changed.feed(db, world["zhang"], [world["two"]], "2026-11-01T00:00:00+00:00")


def test_every_entity_kind_in_the_demo_reads_without_raw_keys(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    ids = [r[0] for r in demo_db.execute(
        "SELECT account_id FROM account_team WHERE user_id = ?", [li.id]).fetchall()]
    with clock.at(datetime(2026, 11, 23, 18, tzinfo=UTC)):
        items = what_changed.feed(demo_db, li, ids, "2026-10-01T00:00:00+00:00", "en", date(2026, 11, 23))
    assert items, "the demo has history since October"
    for item in items:
        for line in item.lines:
            assert "entity." not in line.text and "feed." not in line.text, line.text


def test_demo_huddle_has_changes_since_the_last_one(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    huaxin = demo_db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    since = huddles.default_since(demo_db, [huaxin])
    assert what_changed.feed(demo_db, li, [huaxin], since, "en")


# --- agenda ------------------------------------------------------------------------------------------

def test_agenda_lists_overdue_and_due_actions_and_at_risk_accounts(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]], held_on="2026-11-01")
        huddles.add_item(db, li, huddle["id"], "action", "Late", owner_id=li.id, due_on="2026-11-08")
        huddles.add_item(db, li, huddle["id"], "action", "This week", owner_id=li.id, due_on="2026-11-14")
        huddles.add_item(db, li, huddle["id"], "action", "Next month", owner_id=li.id, due_on="2026-12-20")
        account = accounts.get_account(db, li, world["one"])
        accounts.update_account(db, li, world["one"], account["version"], {"status": "at_risk"})
    built = agenda.build(db, li, [world["one"]], date(2026, 11, 10))
    assert [i.title for i in built["overdue"]] == ["Late"]
    assert [i.title for i in built["due"]] == ["This week"]
    assert [i.source for i in built["flags"]] == [f"account:{world['one']}"]


def test_agenda_item_becomes_an_action_that_points_back_to_it(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]], held_on="2026-11-01")
        old = huddles.add_item(db, li, huddle["id"], "action", "Late", owner_id=li.id, due_on="2026-11-08")
        item = agenda.build(db, li, [world["one"]], date(2026, 11, 10))["overdue"][0]
        new = huddles.add_item(db, li, huddle["id"], "action", "Escalate", owner_id=li.id, due_on="2026-11-12",
                               source=item.source)
    assert new["source"] == f"huddle_item:{old['id']}"


def test_goal_behind_plan_uses_the_elapsed_share_of_its_period():
    assert agenda.expected_share(2026, None, date(2026, 7, 2)) == pytest.approx(182 / 365)
    assert agenda.expected_share(2026, 4, date(2026, 11, 15)) == pytest.approx(45 / 92)
    assert agenda.expected_share(2026, 1, date(2025, 12, 1)) == 0.0
    assert agenda.expected_share(2026, 1, date(2026, 5, 1)) == 1.0


def test_demo_agenda_has_overdue_actions_and_flags(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    huaxin = demo_db.execute("SELECT id FROM accounts WHERE name = 'Huaxin Semiconductor'").fetchone()[0]
    built = agenda.build(demo_db, li, [huaxin], date(2026, 11, 23))
    assert built["overdue"]
    assert built["flags"]


def test_every_provider_copes_with_its_tables_missing(world):
    db = world["db"]
    for name, provider in agenda.PROVIDERS:
        assert isinstance(provider(db, [world["one"]], date(2026, 11, 10)), list), name


# --- shared screen and minutes --------------------------------------------------------------------

def test_the_shared_screen_steps_through_accounts_and_sections_and_stops_at_the_ends(world):
    db, li, zhang = world["db"], world["li"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"], world["two"]])
    first = shared_screen.current(db, li, huddle["id"])
    assert (first["account_id"], first["section"], first["version"]) == (world["one"], "changes", 0)
    assert shared_screen.step(db, li, huddle["id"], -1)["section"] == "changes"
    for _ in range(4):
        moved = shared_screen.step(db, zhang, huddle["id"], 1)
    assert (moved["account_id"], moved["section"]) == (world["two"], "changes")
    assert shared_screen.version(db, huddle["id"]) == 5
    shared_screen.go_to(db, li, huddle["id"], world["two"], "decisions")
    last = shared_screen.step(db, li, huddle["id"], 1)
    assert (last["account_id"], last["section"]) == (world["two"], "decisions"), "the last slide is the end"
    assert not audit.changes_since(db, li, [world["one"]], "2026-11-10T10:00:01+00:00"), "moves are not audited"


def test_minutes_carry_decisions_and_actions_in_markdown_and_word(world):
    db, li = world["db"], world["li"]
    with at(10):
        huddle = huddles.start_huddle(db, li, [world["one"]], title="Weekly")
        huddles.add_item(db, li, huddle["id"], "decision", "Go | all in")
        huddles.add_item(db, li, huddle["id"], "action", "Call the CTO", owner_id=world["zhang"].id,
                         due_on="2026-11-12")
    record = minutes.gather(db, li, huddle["id"], "en")
    text = minutes.to_markdown(record)
    assert "# Weekly" in text and "- Go | all in" in text
    assert "| Call the CTO | Zhang Min | 2026-11-12 | Open | Acme |" in text
    import io

    from docx import Document

    document = Document(io.BytesIO(minutes.to_docx(record)))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Go | all in" in body
    assert document.tables[0].rows[1].cells[0].text == "Call the CTO"
    assert minutes.filename(record, "docx") == "minutes-2026-11-10-acme.docx"


def test_since_defaults_relative_to_the_clock():
    with clock.at(datetime(2026, 11, 10, 10, tzinfo=UTC)):
        assert huddles.normalise_moment("2026-11-09") == "2026-11-09T00:00:00+00:00"
        assert huddles.normalise_moment(datetime(2026, 11, 9, 12) - timedelta(hours=2)) == "2026-11-09T10:00:00+00:00"
