"""Deal-health flags everywhere (issue 7 §4): the opportunity, the account, the huddle, the presentation and the
portfolio show the same live flags as the health page, each naming its rule and lesson; editors acknowledge one
with a reason where they work, read-only users see the flags only."""

from __future__ import annotations

from kamcore import accounts, clock, store, users
from kamcore.huddle import agenda, huddles, shared_screen
from kamcore.i18n import t
from kamcore.learning import rules
from tests.conftest import account_id, query_row, signed_in_app
from tests.visible_text import unescape

OPP = "pages/opportunities.py"
ACCOUNT = "pages/account.py"
LINGANG = "Lingang Steel"
PUDONG = "Pudong Precision Instruments"
XIBEI = "Xibei Metro Construction"
PRICE_TALK = "Price talk without authority"  # the demo's lesson-made rule
SINGLE = "Single-threaded relationship"


def lesson_of(path, rule_name: str) -> str:
    return query_row(path, "SELECT lesson FROM rules WHERE name = ?", [rule_name])[0]


def deal_id(path, account: int, name: str) -> int:
    return query_row(path, "SELECT id FROM opportunities WHERE account_id = ? AND name = ?", [account, name])[0]


def labels(at) -> list[str]:
    return [unescape(e.label) for e in at.expander]


def text(at) -> str:
    return unescape("\n".join(str(e.value) for kind in ("markdown", "caption", "info", "error") for e in getattr(at, kind)))


def open_deal_with_price_talk(demo_path):
    lingang = account_id(demo_path, LINGANG)
    deal = deal_id(demo_path, lingang, "Edge gateways 7")
    at = signed_in_app(demo_path, "zhang.min", OPP, lingang)
    at.selectbox(key="opp.pick").set_value(deal).run()
    assert not at.exception, at.exception
    return at, lingang, deal


# --- opportunity ----------------------------------------------------------------------------------

def test_opportunity_detail_shows_the_deals_own_flags_with_rule_and_lesson(demo_path):
    at, _, deal = open_deal_with_price_talk(demo_path)
    shown = labels(at)
    assert any(PRICE_TALK in label and "Edge gateways 7" in label for label in shown)
    db = store.connect(demo_path)
    try:
        zhang = users.find_by_username(db, "zhang.min")
        own = {f.rule_name for f in rules.flags_for_opportunity(db, zhang, deal) if f.opportunity_id == deal}
    finally:
        db.close()
    assert own and all(any(name in label for label in shown) for name in own), "every flag of the deal"
    assert not any("Goal not covered by pipeline" in label for label in shown), "account-level flags stay on the account"
    assert lesson_of(demo_path, PRICE_TALK) in text(at)


def test_a_deal_without_flags_says_so(demo_path):
    lingang = account_id(demo_path, LINGANG)
    won = deal_id(demo_path, lingang, "Fleet telematics 9")
    at = signed_in_app(demo_path, "zhang.min", OPP, lingang)
    at.selectbox(key="opp.filter.status").set_value("won").run()
    at.selectbox(key="opp.pick").set_value(won).run()
    assert not at.exception
    assert "No rule fires here right now." in text(at)
    assert not any(PRICE_TALK in label for label in labels(at))


def test_acknowledging_a_flag_on_the_opportunity_page_is_written_and_shown(demo_path):
    at, lingang, deal = open_deal_with_price_talk(demo_path)
    picker = at.selectbox(key="opp.flags.ack.flag")
    picker.set_value(next(i for i, label in enumerate(picker.options) if PRICE_TALK in label))
    at.text_input(key="opp.flags.ack.reason").input("CFO meeting booked for Friday")
    at.button(key="opp.flags.ack.submit").click().run()
    assert not at.exception, at.exception
    rule = query_row(demo_path, "SELECT id FROM rules WHERE name = ?", [PRICE_TALK])[0]
    ack = query_row(demo_path, "SELECT id, reason FROM flag_acks WHERE rule_id = ? AND account_id = ? "
                               "AND opportunity_id = ?", [rule, lingang, deal])
    assert ack[1] == "CFO meeting booked for Friday"
    assert query_row(demo_path, "SELECT count(*) FROM audit_log WHERE entity = 'flag_ack' AND entity_id = ?", [ack[0]])[0]
    assert any(PRICE_TALK in label and "acknowledged" in label for label in labels(at))


def test_a_reason_too_short_is_refused_and_nothing_is_written(demo_path):
    at, _, _ = open_deal_with_price_talk(demo_path)
    before = query_row(demo_path, "SELECT count(*) FROM flag_acks")[0]
    at.text_input(key="opp.flags.ack.reason").input("ok")
    at.button(key="opp.flags.ack.submit").click().run()
    assert not at.exception
    assert at.error, "the refusal names the reason field"
    assert "Reason" in " ".join(e.value for e in at.error)
    assert query_row(demo_path, "SELECT count(*) FROM flag_acks")[0] == before


# --- account --------------------------------------------------------------------------------------

def test_account_page_shows_the_accounts_flags_and_the_ack_form_to_editors(demo_path):
    at = signed_in_app(demo_path, "zhang.min", ACCOUNT, account_id(demo_path, PUDONG))
    assert not at.exception, at.exception
    shown = labels(at)
    assert any(SINGLE in label and "Storage refresh (new)" in label for label in shown)
    assert any("Goal not covered by pipeline" in label for label in shown), "account-level flags too"
    assert "account.flags.ack.reason" in [w.key for w in at.text_input]
    assert lesson_of(demo_path, SINGLE).split(":")[0] in text(at)


def test_read_only_users_see_the_flags_without_the_ack_form(demo_path):
    xibei = account_id(demo_path, XIBEI)
    db = store.connect(demo_path)
    try:
        live = {f.rule_name for f in rules.flags_for_account(db, users.find_by_username(db, "guest"), xibei)
                if f.opportunity_id is None}
    finally:
        db.close()
    at = signed_in_app(demo_path, "guest", ACCOUNT, xibei)
    assert not at.exception, at.exception
    assert live and all(any(name in label for label in labels(at)) for name in live)
    assert "account.flags.ack.reason" not in [w.key for w in at.text_input]


def test_account_page_on_an_account_without_deals_says_no_rule_fires(empty_path):
    db = store.connect(empty_path)
    admin = users.find_by_username(db, "admin")
    account = accounts.create_account(db, admin, {"name": "Quiet Co", "industry": "Retail", "region": "West"})
    db.close()
    at = signed_in_app(empty_path, "admin", ACCOUNT, account["id"])
    assert not at.exception, at.exception
    assert "No rule fires here right now." in text(at)


# --- huddle and presentation ----------------------------------------------------------------------

def watch_every_deal(path) -> int:
    """A new rule, written after the demo's last sweep, so the firing log knows nothing of it."""
    db = store.connect(path)
    try:
        admin = users.find_by_username(db, "admin")
        rule = rules.create_rule(db, admin, {"name": "Every deal is watched", "lesson": "Look at each deal weekly.",
                                             "severity": "critical",
                                             "conditions": [{"field": "amount", "op": ">=", "value": 0}]},
                                 allow_match_all=True)  # flags every deal on purpose
        return rule["id"]
    finally:
        db.close()


def test_agenda_flags_are_the_health_pages_open_flags(demo_db, demo_clock):
    lingang = demo_db.execute("SELECT id FROM accounts WHERE name = ?", [LINGANG]).fetchone()[0]
    zhang = users.find_by_username(demo_db, "zhang.min")
    live = rules.flags_for_account(demo_db, zhang, lingang)
    expected = {f"rule:{f.rule_id}@" + (f"opportunity:{f.opportunity_id}" if f.opportunity_id else
                                        f"account:{f.account_id}") for f in live if f.acknowledged is None}
    items = agenda.build(demo_db, zhang, [lingang])["flags"]
    assert {i.source for i in items if i.source.startswith("rule:")} == expected
    assert any(f.acknowledged for f in live), "the demo's acknowledged flag stays off the agenda"
    price = next(i for i in items if i.title == PRICE_TALK)
    assert price.detail and price.display_lesson("en").startswith("Find the person with authority")


def test_agenda_sees_a_rule_the_firing_log_has_not_swept_yet(demo_path, demo_clock):
    rule = watch_every_deal(demo_path)
    assert query_row(demo_path, "SELECT count(*) FROM rule_firings WHERE rule_id = ?", [rule])[0] == 0
    db = store.connect(demo_path)
    try:
        zhang = users.find_by_username(db, "zhang.min")
        items = agenda.build(db, zhang, [account_id(demo_path, PUDONG)], clock.today())["flags"]
    finally:
        db.close()
    assert sum(i.title == "Every deal is watched" for i in items) == 3  # Pudong's three open deals


def test_huddle_agenda_shows_live_flags_with_rule_and_lesson(demo_path):
    watch_every_deal(demo_path)
    at = signed_in_app(demo_path, "zhang.min", "pages/huddle.py", account_id(demo_path, PUDONG))
    at.session_state["huddle.tabs"] = t("huddle.tab.agenda", "en")  # the agenda is drawn once its tab is open
    at.run()
    assert not at.exception, at.exception
    shown = text(at)
    assert SINGLE in shown and "Storage refresh (new)" in shown
    assert lesson_of(demo_path, SINGLE)[:30] in shown
    assert "Every deal is watched" in shown and "Look at each deal weekly." in shown


def test_huddle_agenda_in_chinese_names_built_in_rules_in_chinese(demo_path):
    at = signed_in_app(demo_path, "zhang.min", "pages/huddle.py", account_id(demo_path, PUDONG), lang="zh")
    at.session_state["huddle.tabs"] = t("huddle.tab.agenda", "zh")
    at.run()
    assert not at.exception, at.exception
    assert t("rule.single_threaded.name", "zh") in text(at)


def test_presentation_risk_screen_names_the_flags(demo_path):
    pudong = account_id(demo_path, PUDONG)
    db = store.connect(demo_path)
    try:
        zhang = users.find_by_username(db, "zhang.min")
        latest = huddles.list_huddles(db, zhang, pudong, limit=1)[0]
        shared_screen.go_to(db, zhang, latest["id"], pudong, "risks")
    finally:
        db.close()
    at = signed_in_app(demo_path, "zhang.min", "pages/present.py", pudong)
    assert not at.exception, at.exception
    shown = text(at)
    assert t("present.section.risks", "en") in shown
    assert SINGLE in shown


# --- portfolio ------------------------------------------------------------------------------------

def risk_flags_shown(at, name: str):
    frame = at.dataframe[0].value
    row = frame[frame["Name"] == name]
    return int(row["Open risk flags"].iloc[0])


def test_portfolio_counts_open_flags_live_like_flag_counts(demo_path):
    lingang = account_id(demo_path, LINGANG)
    db = store.connect(demo_path)
    try:
        zhang = users.find_by_username(db, "zhang.min")
        counts = rules.flag_counts(db, zhang, [lingang])[lingang]
    finally:
        db.close()
    at = signed_in_app(demo_path, "zhang.min", "pages/portfolio.py", lingang)
    assert not at.exception, at.exception
    assert risk_flags_shown(at, LINGANG) == counts["open"] > 0
    db = store.connect(demo_path)
    try:  # acknowledged after the last sweep: the portfolio follows at once
        zhang = users.find_by_username(db, "zhang.min")
        flag = next(f for f in rules.flags_for_account(db, zhang, lingang) if f.acknowledged is None)
        rules.acknowledge(db, zhang, flag.rule_id, lingang, flag.opportunity_id, "Discussed in the huddle")
    finally:
        db.close()
    at.run()
    assert risk_flags_shown(at, LINGANG) == counts["open"] - 1
