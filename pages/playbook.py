"""The playbook: best practices drawn from retrospectives, searchable and tagged, linked to their deals.
A link with `?entry=` shows that practice first, whatever the search says."""

import streamlit as st

from kamcore.errors import KamError
from kamcore.i18n import choice_label
from kamcore.learning import playbook
from kamcore.pipeline import stage_model
from kamui import context
from kamui.chores import plain

PAGE_SIZE = 20
page = context.page()
st.title(page.t("playbook.title"))
st.caption(page.t("playbook.caption"))

if not playbook.count(page.db):
    st.info(page.t("playbook.empty"))
    st.stop()

facets = playbook.facets(page.db)
stages = {s["key"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db, False)}


def facet_label(name: str, value: str) -> str:
    """A facet value in words: dimensions and stages by their labels, industries and tags as written."""
    if name == "dimension":
        return choice_label("dimension", value, page.lang)
    if name == "stage":
        return stages.get(value, value)
    return value


def card(entry: dict) -> None:
    """One practice: title, facets, the practice itself, and the deals it came from."""
    with st.container(border=True):
        st.markdown(f"#### {plain(entry['title'])}")
        tags = " ".join(f":blue-badge[{plain(t)}]" for t in entry["tag_list"])
        st.markdown(" · ".join(x for x in (
            choice_label("dimension", entry["dimension"], page.lang), plain(entry["industry"]) if entry["industry"]
            else "", plain(stages.get(entry["stage"], entry["stage"])) if entry["stage"] else "", tags) if x))
        st.markdown(plain(entry["practice"]))
        st.caption(page.t("playbook.from", count=len(entry["sources"]), name=plain(entry["owner_name"] or None)))
        for source in entry["sources"]:
            outcome = choice_label("result", source["result"], page.lang)
            if source["account_id"] is None:
                st.markdown(f"- {page.t('playbook.other_account')} · {outcome}")
                continue
            st.page_link("pages/retrospectives.py", label=f"{plain(source['account'])} · {plain(source['retrospective'])} · "
                         f"{outcome}", icon=":material/history_edu:",
                         query_params={"account": str(source["account_id"]),
                                       "retro": str(source["retrospective_id"])})


def linked_entry() -> dict | None:
    """The practice a link names (`?entry=`), or None when there is none or it is gone."""
    raw = st.query_params.get("entry")
    if not raw or not raw.isdigit():
        return None
    try:
        return playbook.get_entry(page.db, page.user, int(raw))
    except KamError:
        return None


pinned = linked_entry()
if pinned:
    st.subheader(page.t("playbook.linked"))
    card(pinned)
    st.divider()

text = st.text_input(page.t("playbook.search"), key="playbook.q", placeholder=page.t("playbook.search_hint"))
cols = st.columns(4)
any_label = page.t("history.all")
chosen = {
    name: cols[i].selectbox(page.t(f"field.{name}" if name != "tag" else "field.tags"), ["", *facets[name]],
                            key=f"playbook.{name}",
                            format_func=lambda v, n=name: any_label if v == "" else facet_label(n, v))
    for i, name in enumerate(("industry", "stage", "dimension", "tag"))
}
found = playbook.search(page.db, page.user, text, limit=PAGE_SIZE + 1, **chosen)
if not found:
    st.info(page.t("playbook.no_match"))
    st.stop()
if len(found) > PAGE_SIZE:
    st.caption(page.t("playbook.more", count=PAGE_SIZE))
for entry in found[:PAGE_SIZE]:
    if not pinned or entry["id"] != pinned["id"]:
        card(entry)
