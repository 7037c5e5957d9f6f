"""The huddle as a meeting on the demo: Li Wei's five-account huddle — agenda by account and urgency,
what changed in readable sentences, roles and remarks, who may see a group huddle and move its screen."""

from __future__ import annotations

import re

import pytest

from kamcore import clock, users
from kamcore.errors import PermissionDenied, ValidationError
from kamcore.huddle import agenda, huddles, minutes, shared_screen
from kamcore.i18n import t
from tests.conftest import account_id, signed_in_app
from tests.visible_text import unescape

FIVE = "Li Wei's accounts — weekly huddle"
STATUS_KEYS = {"at_risk", "no_decision", "in_progress", "closed_won", "closed_lost"}


def _five(db) -> dict:
    return dict(zip(("id", "scope"), db.execute("SELECT id, scope FROM huddles WHERE title = ?", [FIVE]).fetchone(),
                    strict=True))


def _open_five(demo_path, lang="en"):
    at = signed_in_app(demo_path, "li.wei", "pages/huddle.py", account_id(demo_path, "Huaxin Semiconductor"), lang=lang)
    assert not at.exception, at.exception
    assert FIVE in at.selectbox(key="huddle.pick").format_func(at.selectbox(key="huddle.pick").value), \
        "the five-account huddle (held today) is the one on screen"
    return at


def test_the_agenda_is_grouped_by_account_then_urgency_with_counts_from_kamcore(demo_path, demo_db, demo_clock):
    at = _open_five(demo_path)
    assert not any("more" in e.label for e in at.expander), \
        "the agenda is drawn only once its tab is opened"
    at.session_state["huddle.tabs"] = t("huddle.tab.agenda", "en")
    at.run()
    li = users.find_by_username(demo_db, "li.wei")
    scope = [int(a) for a in _five(demo_db)["scope"].split(",")]
    expected = agenda.by_account(demo_db, li, scope, clock.today())  # the day the page uses
    names = {a.account_name: a for a in expected}
    assert len(names) == 5
    closed = [e for e in at.expander if "more" in e.label]
    assert closed, "the items past the first of each urgency wait behind 'more'"
    for a in expected:  # open every 'more': its rows are drawn once it is opened
        for section, items in a.groups.items():
            if len(items) > agenda.TOP_PER_GROUP:
                at.session_state[f"huddle.agenda.more.{a.account_id}.{section}.False"] = True
    at.run()
    shown: dict[str, dict[str, int]] = {}
    overdue_rows: list[str] = []
    account = group = None
    labels = {t(f"agenda.{s}", "en"): s for s in agenda.SECTIONS}
    for element in at.markdown:
        text = element.value
        heading = re.match(r"^### (.+?) · \d+ items$", text)
        if heading and heading.group(1).replace("\\", "") in names:
            account, group = heading.group(1).replace("\\", ""), None
            shown[account] = {}
            continue
        label = re.match(r"^\*\*(.+) \((\d+)\)\*\*$", text)
        if account and label and label.group(1) in labels:
            group = labels[label.group(1)]
            shown[account][group] = int(label.group(2))
            continue
        if account and group == "overdue" and text.startswith(":red[●]"):
            overdue_rows.append(text)
    assert list(shown) == [a.account_name for a in expected], "grouped by account, most urgent account first"
    for name, agenda_of in names.items():
        assert shown[name] == {k: v for k, v in agenda_of.counts().items() if v}, name
    total_overdue = sum(a.counts()["overdue"] for a in expected)
    assert total_overdue > 0
    assert len(overdue_rows) == total_overdue, "every overdue item is listed (the rest one click away)"
    assert all(re.search(r"\d+ days? overdue", row) for row in overdue_rows), overdue_rows


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_changed_reads_as_sentences_without_numbers_json_or_keys(demo_path, demo_db, lang):
    at = _open_five(demo_path, lang)
    text = "\n".join(m.value for m in at.markdown).replace("\\", "")
    start = text.index(t("area.deals", lang))  # the first area heading of What changed
    end = re.search(rf"^#### {re.escape(t('huddle.decisions', lang))}$", text[start:], flags=re.M).start() + start
    body = re.sub(r"^#+ ", "", text[start:end], flags=re.M)
    assert not re.search(r"#\d+", body), re.findall(r".{30}#\d+.{10}", body)
    assert "{" not in body and "}" not in body
    stage_keys = {row[0] for row in demo_db.execute("SELECT key FROM stages")}
    values = re.findall(r"(?:→|:|：)\s*([a-z_]+)\b", body)
    assert not (set(values) & (stage_keys | STATUS_KEYS | {"open", "done", "won", "lost", "active"})), values
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body), re.findall(r".{20}\b[a-z]+_[a-z_]+\b.{10}", body)


def test_a_group_huddle_is_hidden_from_members_who_cannot_see_all_its_accounts(demo_db):
    zhang = users.find_by_username(demo_db, "zhang.min")  # Huaxin and Pearl River, not the other three
    huddle = _five(demo_db)
    huaxin = int(huddle["scope"].split(",")[0])
    listed = huddles.list_huddles(demo_db, zhang, huaxin)
    assert listed and all(h["id"] != huddle["id"] for h in listed)
    with pytest.raises(Exception) as refused:
        huddles.get_huddle(demo_db, zhang, huddle["id"])
    assert "not_found" in str(refused.value)


def test_the_huddle_and_present_pages_open_for_such_a_member(demo_path, demo_db):
    huddle = _five(demo_db)
    huaxin = account_id(demo_path, "Huaxin Semiconductor")
    for page in ("pages/huddle.py", "pages/present.py"):
        at = signed_in_app(demo_path, "zhang.min", page, huaxin)
        at.query_params["huddle"] = str(huddle["id"])  # a link to the group huddle she cannot fully see
        at.run()
        assert not at.exception, at.exception
        assert FIVE not in "\n".join(m.value for m in at.markdown)


def test_viewers_and_executives_cannot_move_the_shared_screen(demo_db):
    chen = users.find_by_username(demo_db, "chen.jie")
    li = users.find_by_username(demo_db, "li.wei")
    hid = _five(demo_db)["id"]
    before = shared_screen.version(demo_db, hid)
    for move in (lambda: shared_screen.step(demo_db, chen, hid, 1),
                 lambda: shared_screen.go_to(demo_db, chen, hid, shared_screen.current(demo_db, li, hid)["account_id"],
                                             "risks"),
                 lambda: shared_screen.take_over(demo_db, chen, hid)):
        with pytest.raises(PermissionDenied):
            move()
    assert shared_screen.version(demo_db, hid) == before
    moved = shared_screen.step(demo_db, li, hid, 1)
    assert moved["presenter_name"] == "Li Wei" and moved["version"] == before + 1


def test_last_move_wins_and_names_who_moved(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    wang = users.find_by_username(demo_db, "wang.fang")
    group = demo_db.execute("SELECT id, scope FROM huddles WHERE title = 'East China monthly review'").fetchone()
    first, second = (int(a) for a in group[1].split(","))
    shared_screen.go_to(demo_db, li, group[0], first, "late")
    last = shared_screen.go_to(demo_db, wang, group[0], second, "risks")
    assert (last["account_id"], last["section"], last["presenter_name"]) == (second, "risks", "Wang Fang")
    assert shared_screen.current(demo_db, li, group[0])["presenter_name"] == "Wang Fang"


def test_roles_and_bad_input_name_the_field(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    huddle = huddles.get_huddle(demo_db, li, _five(demo_db)["id"])
    outsider = users.find_by_username(demo_db, "omar.hassan")
    cases = [
        ({"presenter_id": None}, "presenter_id"),
        ({"coach_id": outsider.id}, "coach_id"),
        ({"reviewer_id": users.find_by_username(demo_db, "zhang.min").id}, "reviewer_id"),  # cannot see all five
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as refused:
            huddles.update_huddle(demo_db, li, huddle["id"], huddle["version"], changes)
        assert field in str(refused.value.problems), refused.value.problems
    scope = huddles.scope_ids(huddle)
    with pytest.raises(ValidationError) as refused:
        huddles.add_item(demo_db, li, huddle["id"], "action", "Too late", account_id=scope[0], owner_id=li.id,
                         due_on="2026-11-01")
    assert "due_on" in str(refused.value.problems)
    with pytest.raises(ValidationError) as refused:
        huddles.add_item(demo_db, li, huddle["id"], "decision", "", account_id=scope[0])
    assert "text" in str(refused.value.problems)
    assert huddles.get_huddle(demo_db, li, huddle["id"])["version"] == huddle["version"], "nothing written"


def test_a_remark_becomes_an_action_and_the_minutes_carry_both(demo_db):
    li = users.find_by_username(demo_db, "li.wei")
    hid = _five(demo_db)["id"]
    open_remark = next(r for r in huddles.list_remarks(demo_db, li, hid) if r["action_id"] is None)
    before = len(huddles.list_items(demo_db, li, hid))
    action = huddles.remark_to_action(demo_db, li, open_remark["id"], open_remark["version"], owner_id=li.id,
                                      due_on="2026-11-27")
    assert len(huddles.list_items(demo_db, li, hid)) == before + 1
    assert action["source"] == f"huddle_remark:{open_remark['id']}"
    with pytest.raises(ValidationError):
        huddles.remark_to_action(demo_db, li, open_remark["id"], open_remark["version"] + 1, owner_id=li.id,
                                 due_on="2026-11-27")
    for lang in ("en", "zh"):
        record = minutes.gather(demo_db, li, hid, lang)
        text = unescape(minutes.to_markdown(record))  # as it reads rendered
        assert t("minutes.remarks", lang) in text and open_remark["text"] in text
        assert t("field.presenter_id", lang) in text and "Li Wei" in text
        assert open_remark["text"].encode() in _docx_text(minutes.to_docx(record))


def _docx_text(data: bytes) -> bytes:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")


def test_markdown_minutes_show_hostile_text_as_typed():
    """A decision or title carrying a tracking image, a link or HTML reads literally in the Markdown minutes."""
    from kamcore.huddle.minutes import Minutes, to_markdown

    hostile = "![pixel](https://tracker.example/p.png) <img src=x onerror=alert(1)> [click](http://x) # big"
    text = to_markdown(Minutes(title=hostile, held_on="2026-11-25", since="2026-11-18", accounts=["Huaxin"],
                               attendees=[hostile], notes=hostile, decisions=[{"text": hostile, "account_name": "Huaxin"}],
                               actions=[], remarks=[], roles={}, lang="en"))
    assert re.search(r"(?<!\\)(<|!\[|\]\()", text) is None, "no tag, image or link left unescaped"
    assert unescape(text).count(hostile) == 4, "and each reads exactly as typed once rendered"
