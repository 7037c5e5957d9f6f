"""AppTest of the huddle, presentation, my-work and data pages on the demo and an empty database."""

import pytest

from tests.conftest import account_id, query, signed_in_app
from tests.visible_text import unescape

PAGES = ["pages/huddle.py", "pages/present.py", "pages/my_work.py", "pages/data.py"]
HUAXIN = "Huaxin Semiconductor"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_on_demo_data(demo_path, page, lang):
    at = signed_in_app(demo_path, "li.wei", page, account_id(demo_path, HUAXIN), lang=lang)
    assert not at.exception, at.exception
    assert at.title
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database_and_says_what_to_do(empty_path, page):
    at = signed_in_app(empty_path, "admin", page)
    assert not at.exception, at.exception
    assert at.info or at.caption


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def open_agenda(at):
    """A click on the agenda tab: the page reruns and draws the agenda."""
    at.session_state["huddle.tabs"] = "Agenda"
    return at.run()


def test_demo_huddle_shows_what_changed_agenda_and_minutes(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/huddle.py", account_id(demo_path, HUAXIN))
    text = markdown(at)
    assert ", by " in text, "what changed has readable sentences"
    assert "Overdue" not in text, "the agenda waits for its tab"
    text = markdown(open_agenda(at))
    assert "Overdue" in text and "Health flags" in text
    downloads = at.get("download_button")
    assert len(downloads) == 3  # the minutes (Markdown, Word) and the huddles as a calendar (.ics)


def test_starting_a_huddle_from_the_page_defaults_since_to_the_last_one(demo_path):
    huaxin = account_id(demo_path, HUAXIN)
    before = query(demo_path, "SELECT max(created_at) FROM huddles WHERE scope = ?", [str(huaxin)])[0][0]
    at = signed_in_app(demo_path, "li.wei", "pages/huddle.py", huaxin)
    assert not [w for w in at.text_input if w.key == "huddle.new.title"], \
        "the form waits, folded, while the account has huddles"
    at.session_state["huddle.start.open.True"] = True  # a click on "Start a huddle" reruns the page
    at.run()
    at.text_input(key="huddle.new.title").input("Monday huddle")
    at.button(key="huddle.new.submit").click().run()
    assert not at.exception
    rows = query(demo_path, "SELECT title, since FROM huddles ORDER BY id DESC LIMIT 1")
    assert rows == [("Monday huddle", before)]
    assert at.query_params["huddle"]


def test_an_action_without_owner_shows_the_reason_and_writes_nothing(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/huddle.py", account_id(demo_path, HUAXIN))
    count = query(demo_path, "SELECT count(*) FROM huddle_items")[0][0]
    at.radio(key="huddle.item.kind").set_value("action")
    at.text_area(key="huddle.item.text").input("Call the CTO")
    at.button(key="huddle.item.submit").click().run()
    assert any("owner" in e.value for e in at.error)
    assert query(demo_path, "SELECT count(*) FROM huddle_items")[0][0] == count


def test_recording_an_action_and_marking_it_done(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/huddle.py", account_id(demo_path, HUAXIN))
    at.radio(key="huddle.item.kind").set_value("action")
    at.text_area(key="huddle.item.text").input("Send the reference list")
    owners = [o for o in query(demo_path, "SELECT id FROM users WHERE username = 'zhang.min'")]
    at.selectbox(key="huddle.item.owner").set_value(owners[0][0])
    at.date_input(key="huddle.item.due").set_value("2026-12-01")
    at.button(key="huddle.item.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    item = query(demo_path, "SELECT id, owner_id, due_on, status FROM huddle_items ORDER BY id DESC LIMIT 1")[0]
    assert item[1:] == (owners[0][0], "2026-12-01", "open")
    at.button(key=f"huddle.done.{item[0]}").click().run()
    assert query(demo_path, "SELECT status FROM huddle_items WHERE id = ?", [item[0]])[0][0] == "done"


def test_an_agenda_item_becomes_an_action_in_place_and_the_tab_stays(demo_path):
    at = open_agenda(signed_in_app(demo_path, "li.wei", "pages/huddle.py", account_id(demo_path, HUAXIN)))
    act = next(b for b in at.button if b.key and b.key.startswith("huddle.agenda.act."))
    act.click().run()
    source = at.session_state["huddle.agenda.target"]
    li = query(demo_path, "SELECT id FROM users WHERE username = 'li.wei'")[0][0]
    before = query(demo_path, "SELECT count(*) FROM huddle_items")[0][0]
    at.radio(key="huddle.agenda.kind").set_value("action")
    at.selectbox(key="huddle.agenda.owner").set_value(li)
    at.date_input(key="huddle.agenda.due").set_value("2026-11-30")
    at.button(key="huddle.agenda.submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert query(demo_path, "SELECT count(*) FROM huddle_items")[0][0] == before + 1
    assert query(demo_path, "SELECT source FROM huddle_items ORDER BY id DESC LIMIT 1")[0][0] == source
    assert "huddle.agenda.target" not in at.session_state, "the form closes once the action is recorded"


def test_presentation_next_moves_every_follower(demo_path):
    huaxin = account_id(demo_path, HUAXIN)
    presenter = signed_in_app(demo_path, "li.wei", "pages/present.py", huaxin)
    assert 'data-section="' in markdown(presenter)
    hid = int(presenter.query_params["huddle"][0] if isinstance(presenter.query_params["huddle"], list)
              else presenter.query_params["huddle"])
    before = query(demo_path, "SELECT version FROM huddle_sessions WHERE huddle_id = ?", [hid])
    presenter.button(key="present.next").click().run()
    assert not presenter.exception
    after = query(demo_path, "SELECT account_id, section, page, version FROM huddle_sessions WHERE huddle_id = ?",
                  [hid])[0]
    assert after[3] == (before[0][0] if before else 0) + 1
    marker = f'data-section="{after[0]}:{after[1]}:{after[2]}"'
    assert marker in markdown(presenter)
    follower = signed_in_app(demo_path, "chen.jie", "pages/present.py", huaxin)
    assert marker in markdown(follower), "a second laptop opens on the shared screen"
    assert follower.button(key="present.next").disabled, "an executive follows but does not move the screen"


def test_my_work_lists_my_actions_and_mentions(demo_path):
    at = signed_in_app(demo_path, "zhang.min", "pages/my_work.py", account_id(demo_path, HUAXIN))
    text = markdown(at)
    assert "due" in text
    assert "Li Wei" in text, "the demo has a comment by Li Wei mentioning Zhang Min"


def test_a_comment_mentioning_an_unknown_user_is_refused(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/my_work.py", account_id(demo_path, HUAXIN))
    count = query(demo_path, "SELECT count(*) FROM comments")[0][0]
    if "comment.record" not in [s.key for s in at.selectbox]:
        pytest.skip("no goals in this demo build to comment on")
    at.text_area(key="comment.body").input("@no.such.person please look")
    at.button(key="comment.submit").click().run()
    assert any("no.such.person" in unescape(e.value) for e in at.error)
    assert query(demo_path, "SELECT count(*) FROM comments")[0][0] == count
    at.text_area(key="comment.body").input("@zhang.min please look")
    at.button(key="comment.submit").click().run()
    assert query(demo_path, "SELECT count(*) FROM comments")[0][0] == count + 1


def long_button(at, key):
    """The button of kamui.long_work `key` (its widget key carries a ticket)."""
    return next(b for b in at.button if (b.key or "").startswith(f"{key}."))


def test_admin_backs_up_from_the_data_page(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/data.py", account_id(demo_path, HUAXIN))
    long_button(at, "data.backup.now").click().run()
    assert not at.exception
    assert list((demo_path.parent / "backups").glob("warroom-*.db"))
    assert at.selectbox(key="data.restore.pick").value.startswith("warroom-")


def test_members_export_their_account_but_do_not_import(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/data.py", account_id(demo_path, HUAXIN))
    long_button(at, "data.export.prepare").click().run()
    assert len(at.get("download_button")) == 2
    assert any("administrators" in i.value for i in at.info)
