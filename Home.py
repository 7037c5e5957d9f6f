"""KAM War Room: the router. Page config, first-run setup, sign-in, the sidebar, navigation."""

from __future__ import annotations

import streamlit as st

from kamcore import store
from kamui import context, shell, test_hooks
from kamui.context import tr

st.set_page_config(page_title="KAM War Room · 大客户作战室", page_icon="🎯", layout="wide")

PAGES = {
    "nav.group.war_room": [
        ("pages/home.py", "nav.home", ":material/home:", "home"),
        ("pages/account.py", "nav.account", ":material/domain:", "account"),
        ("pages/history.py", "nav.history", ":material/history:", "history"),
        ("pages/huddle.py", "nav.huddle", ":material/groups:", "huddle"),
        ("pages/present.py", "nav.present", ":material/present_to_all:", "present"),
        ("pages/my_work.py", "nav.my_work", ":material/task_alt:", "my_work"),
    ],
    "nav.group.portfolio": [
        ("pages/portfolio.py", "nav.portfolio", ":material/leaderboard:", "portfolio"),
        ("pages/walkthrough.py", "nav.walkthrough", ":material/slideshow:", "walkthrough"),
        ("pages/tiering.py", "nav.tiering", ":material/rule:", "tiering"),
        ("pages/financials.py", "nav.financials", ":material/payments:", "financials"),
    ],
    "nav.group.plan": [
        ("pages/plan.py", "nav.plan", ":material/flag:", "plan"),
        ("pages/whitespace.py", "nav.whitespace", ":material/grid_view:", "whitespace"),
    ],
    "nav.group.pipeline": [
        ("pages/opportunities.py", "nav.opportunities", ":material/handshake:", "opportunities"),
        ("pages/needs.py", "nav.needs", ":material/water:", "needs"),
        ("pages/pipeline.py", "nav.pipeline", ":material/filter_alt:", "pipeline"),
        ("pages/opportunity_import.py", "nav.import", ":material/upload_file:", "opportunity_import"),
    ],
    "nav.group.relationships": [
        ("pages/decision_chain.py", "nav.decision_chain", ":material/account_tree:", "decision_chain"),
        ("pages/relationships.py", "nav.relationships", ":material/diversity_3:", "relationships"),
    ],
    "nav.group.learning": [
        ("pages/retrospectives.py", "nav.retrospectives", ":material/history_edu:", "retrospectives"),
        ("pages/playbook.py", "nav.playbook", ":material/menu_book:", "playbook"),
        ("pages/health.py", "nav.health", ":material/health_and_safety:", "health"),
    ],
    "nav.group.proposals": [
        ("pages/proposal.py", "nav.proposal", ":material/gavel:", "proposal"),
        ("pages/segments.py", "nav.segments", ":material/category:", "segments"),
        ("pages/rhythm.py", "nav.rhythm", ":material/event_repeat:", "rhythm"),
        ("pages/reviews.py", "nav.reviews", ":material/rate_review:", "reviews"),
    ],
    "nav.group.admin": [
        ("pages/admin.py", "nav.admin", ":material/admin_panel_settings:", "admin"),
        ("pages/data.py", "nav.data", ":material/backup:", "data"),
    ],
}


def _app_pages(visibility: str = "visible") -> dict[str, list[st.Page]]:
    nav = {
        tr(group): [
            st.Page(path, title=tr(title), icon=icon, url_path=url, default=(url == "home" and visibility == "visible"),
                    visibility=visibility)
            for path, title, icon, url in pages
        ]
        for group, pages in PAGES.items()
    }
    if test_hooks.enabled():  # KAM_TEST_HOOKS=1 only (browser tests): errors planted on purpose
        nav["Tests"] = [st.Page(test_hooks.render, title="Test hooks", url_path="test-hooks", visibility="hidden")]
    return nav


def _gate() -> None:
    """Sign-in (or first-run setup). Every app page stays routable but hidden, so a deep link
    such as /history?account=3 opens that page right after sign-in."""
    gate = shell.setup_page if store.is_empty(context.db()) else shell.sign_in_page
    gate_page = st.Page(gate, title=tr("signin.title"), icon=":material/lock:", url_path="sign-in", default=True)
    hidden = [page for pages in _app_pages("hidden").values() for page in pages]
    chosen = st.navigation([gate_page, *hidden], position="hidden")
    if chosen is gate_page:
        chosen.run()
    else:
        gate()


def main() -> None:
    """Route the request: setup on an empty database, sign-in, then the chosen page."""
    user = context.current_user()  # before the language switch: a resumed session brings its language
    shell.language_switch()
    shell.apply_cookie()
    if user is None:
        _gate()
        return
    shell.sidebar(user)
    st.navigation(_app_pages(), position="top").run()


with context.scope():  # the run's one connection, closed when the run ends (kamui/context.py)
    try:
        main()
    except Exception:  # never a traceback on screen; tests set KAM_DEBUG=1 to see it
        if context.debug():
            raise
        context.report_unexpected("page run")
