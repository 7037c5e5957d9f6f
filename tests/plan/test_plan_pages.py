"""AppTest: the plan and whitespace pages on demo and empty databases, edits, refusals, and two
sessions editing the same table at once."""

import json

import pytest

from kamcore import store, users
from kamcore.plan import baselines, goals, share_plans
from tests.conftest import ROOT, account_id, query_row, signed_in_app
from tests.visible_text import unescape

PAGES = ["pages/plan.py", "pages/whitespace.py"]
HUAXIN = "Huaxin Semiconductor"
YEAR = 2026  # the demo is built for 2026-11-23


def _plan(path, username="li.wei", lang="en"):
    at = signed_in_app(path, username, "pages/plan.py", account_id(path, HUAXIN), lang=lang)
    at.selectbox(key="plan.year").set_value(YEAR).run()
    assert not at.exception, at.exception
    return at


def _shown(at, table):
    return at.session_state[f"{table}._shown"][1]


def _edit(at, table, edited=None, added=None):
    nonce = at.session_state[f"{table}._nonce"]
    at.session_state[f"{table}.editor.{nonce}"] = {
        "edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": []}
    at.button(key=f"{table}.save").click().run()
    assert not at.exception, at.exception


def _goal(path, goal_id):
    return query_row(path, "SELECT * FROM goals WHERE id = ?", [goal_id])


def _index_of(frame, **match):
    for index, row in frame.iterrows():
        if all(row[k] == v for k, v in match.items()):
            return index, row
    raise AssertionError(match)


def _texts(at):
    return unescape(" ".join(str(e.value) for e in [*at.error, *at.markdown, *at.warning]))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plan_pages_render_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, HUAXIN), lang=lang)
    assert not at.exception, at.exception
    assert at.title
    assert not at.error


@pytest.mark.parametrize("page", PAGES)
def test_plan_pages_render_on_an_empty_database_and_say_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info


def test_the_demo_plan_shows_a_score_goals_share_plans_and_a_baseline_with_moves(demo_path):
    at = _plan(demo_path)
    assert at.metric[0].value != "—"
    assert len(_shown(at, "plan.goals")) >= 8
    assert len(_shown(at, "plan.share")) == 3
    assert any("since the baseline" in c.value for c in at.caption)
    assert len(at.dataframe) >= 2
    assert len(at.get("vega_lite_chart")) == 2, "the scorecard and the whitespace heatmap"


def test_an_actual_edited_in_the_goals_table_is_saved(demo_path):
    at = _plan(demo_path)
    index, row = _index_of(_shown(at, "plan.goals"), metric="collections")  # no source: typed by the team
    _edit(at, "plan.goals", edited={index: {"actual": 12345}})
    assert _goal(demo_path, int(row["id"]))[9] == 12345
    assert any("1 row(s) saved" in s.value for s in at.success)


def test_a_typed_actual_for_a_measured_goal_is_refused_unless_it_gives_a_reason(demo_path):
    at = _plan(demo_path)
    index, row = _index_of(_shown(at, "plan.goals"), metric="revenue")  # measured from the financials
    before = _goal(demo_path, int(row["id"]))
    _edit(at, "plan.goals", edited={index: {"actual": 12345}})
    assert "measured from the account's financials" in _texts(at)
    assert _goal(demo_path, int(row["id"])) == before, "nothing written"
    _edit(at, "plan.goals", edited={index: {"actual": 12345, "actual_reason": "Audited figure, not yet booked"}})
    assert _goal(demo_path, int(row["id"]))[9] == 12345


def test_a_new_goal_with_splits_not_adding_up_is_refused_and_nothing_is_written(demo_path):
    at = _plan(demo_path)
    before = len(_shown(at, "plan.goals"))
    owner = int(_shown(at, "plan.goals")["owner_id"].iloc[0])
    _edit(at, "plan.goals", added=[{"quadrant": "financial", "metric": "orders", "target": 100, "owner_id": owner,
                                    "split_am": 50, "split_sm": 30, "split_dm": 30}])
    assert "must add up to 100% (they add up to 110%)" in _texts(at)
    db = store.connect(demo_path)
    count = db.execute("SELECT count(*) FROM goals WHERE account_id = ? AND year = ? AND quarter IS NULL",
                       [account_id(demo_path, HUAXIN), YEAR]).fetchone()[0]
    db.close()
    assert count == before


def test_a_new_goal_added_at_the_bottom_of_the_table_lands_in_the_chosen_period(demo_path):
    at = _plan(demo_path)
    owner = int(_shown(at, "plan.goals")["owner_id"].iloc[0])
    _edit(at, "plan.goals", added=[{"quadrant": "learning", "metric": "custom", "title": "Read the spec",
                                    "target": 1, "owner_id": owner}])
    db = store.connect(demo_path)
    row = db.execute("SELECT year, quarter, split_am FROM goals WHERE title = 'Read the spec'").fetchone()
    db.close()
    assert row == (YEAR, None, 100)


def test_a_goal_without_a_product_line_reads_whole_account_and_choosing_it_clears_the_line(demo_path):
    at = _plan(demo_path)
    frame = _shown(at, "plan.goals")
    editor = next(f for f in at.dataframe if "product_line_id" in f.value.columns)
    options = json.loads(editor.proto.columns)["product_line_id"]["type_config"]["options"]
    assert {"value": 0, "label": "Whole account"} in options, options  # the empty choice, labelled
    assert editor.proto.placeholder == "—"  # any other empty cell: a dash, not the grid's default "None"
    assert (frame["product_line_id"] == 0).any(), "a goal of the whole account shows the stand-in"
    index, row = next((i, r) for i, r in frame.iterrows() if r["product_line_id"] != 0)
    assert _goal(demo_path, int(row["id"]))[7] is not None  # goals.product_line_id
    _edit(at, "plan.goals", edited={index: {"product_line_id": 0}})
    assert _goal(demo_path, int(row["id"]))[7] is None, "the stand-in is written as no product line"
    owner = int(frame["owner_id"].iloc[0])
    _edit(at, "plan.goals", added=[{"quadrant": "learning", "metric": "custom", "title": "Whole-account goal",
                                    "product_line_id": 0, "target": 1, "owner_id": owner}])
    db = store.connect(demo_path)
    line = db.execute("SELECT product_line_id FROM goals WHERE title = 'Whole-account goal'").fetchone()
    db.close()
    assert line == (None,)


def test_saving_an_untouched_table_says_there_is_nothing_to_save(demo_path):
    at = _plan(demo_path)
    nonce = at.session_state["plan.goals._nonce"]
    at.button(key="plan.goals.save").click().run()
    assert not at.exception, at.exception
    assert any("Nothing to save" in i.value for i in at.info)
    assert at.session_state["plan.goals._nonce"] == nonce, "the editor is kept, not replaced"


def test_a_share_above_100_percent_is_refused_on_screen(demo_path):
    at = _plan(demo_path)
    _edit(at, "plan.share", edited={0: {"current_share": 120}})
    assert "between 0% and 100%" in _texts(at)
    db = store.connect(demo_path)
    shares = [r[0] for r in db.execute("SELECT current_share FROM share_plans").fetchall()]
    db.close()
    assert 120 not in shares


def test_freezing_the_plan_stores_a_named_baseline(demo_path):
    at = _plan(demo_path)
    at.text_input(key="plan.baseline.name").set_value("Board review")
    at.button(key="FormSubmitter:plan.baseline.form-Freeze the plan as approved").click().run()
    assert not at.exception, at.exception
    db = store.connect(demo_path)
    names = [b["name"] for b in baselines.list_baselines(db, users.find_by_username(db, "li.wei"),
                                                         account_id(demo_path, HUAXIN))]
    db.close()
    assert "Board review" in names


def test_two_sessions_editing_different_goals_both_land(demo_path):
    ann, bo = _plan(demo_path, "li.wei"), _plan(demo_path, "zhang.min")
    frame = _shown(ann, "plan.goals")
    i, first = _index_of(frame, metric="collections")
    j, second = _index_of(frame, metric="satisfaction")
    _edit(ann, "plan.goals", edited={i: {"actual": 111}})
    _edit(bo, "plan.goals", edited={j: {"actual": 22}})
    assert _goal(demo_path, int(first["id"]))[9] == 111
    assert _goal(demo_path, int(second["id"]))[9] == 22
    assert not bo.session_state["plan.goals._refused"]


def test_two_sessions_editing_the_same_goal_give_one_conflict_and_keep_the_losers_input(demo_path):
    ann, bo = _plan(demo_path, "li.wei"), _plan(demo_path, "zhang.min")
    i, row = _index_of(_shown(ann, "plan.goals"), metric="collections")
    _edit(ann, "plan.goals", edited={i: {"actual": 111}})
    _edit(bo, "plan.goals", edited={i: {"actual": 999}})
    assert _goal(demo_path, int(row["id"]))[9] == 111
    refused = bo.session_state["plan.goals._refused"]
    assert len(refused) == 1 and refused[0]["conflict"] and refused[0]["values"] == {"actual": 999}
    assert "Li Wei" in _texts(bo)
    # the loser re-applies on top of the latest version
    bo.button(key="plan.goals._reapply.0").click().run()
    assert _goal(demo_path, int(row["id"]))[9] == 999


def test_read_only_viewers_get_no_save_buttons(demo_path):
    at = signed_in_app(demo_path, "guest", "pages/plan.py", account_id(demo_path, "Jiangnan Power Grid"))
    assert not at.exception, at.exception
    keys = {b.key for b in at.button}
    assert "plan.goals.save" not in keys and "plan.share.save" not in keys


def test_the_whitespace_page_switches_measure(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/whitespace.py")
    at.segmented_control(key="whitespace.measure").set_value("potential").run()
    assert not at.exception, at.exception
    assert at.metric[0].value != "0"


def test_demo_plans_cover_every_account_with_goals_shares_and_a_baseline(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    for (aid,) in demo_db.execute("SELECT id FROM accounts").fetchall():
        assert goals.list_goals(demo_db, admin, aid, YEAR)
        assert goals.list_goals(demo_db, admin, aid, YEAR + 1)
        assert share_plans.list_share_plans(demo_db, admin, aid)
        base = baselines.list_baselines(demo_db, admin, aid)[0]
        changes = {m.change for m in baselines.compare(demo_db, admin, base["id"])}
        assert changes == {"added", "changed", "removed"}


def test_an_incomplete_new_goal_row_is_sent_and_refused_naming_the_missing_fields(demo_path):
    """The grid holds back a new row with an empty required column, so Save said "Nothing to save: no row
    changed". The columns a new goal needs are not `required` in the grid: the row reaches the server, and the
    refusal names what is missing."""
    source = (ROOT / "pages" / "plan.py").read_text()
    goals_table = source[source.index("def goals_section"):source.index("def coverage_section")]
    for column in ("quadrant", "metric", "owner_id"):
        config = goals_table[goals_table.index(f'"{column}": st.column_config'):]
        assert "required=True" not in config[:config.index("),") + 2], f"the grid would hold back a row without {column}"
    at = _plan(demo_path)
    before = query_row(demo_path, "SELECT count(*) FROM goals")[0]
    _edit(at, "plan.goals", added=[{"title": "Half a goal", "target": 50}])
    text = _texts(at)
    assert "Nothing to save" not in text
    assert "Measure" in text or "metric" in text.lower(), text
    assert query_row(demo_path, "SELECT count(*) FROM goals")[0] == before
