"""The playbook: best practices drawn from retrospectives, searchable and tagged, linked to their deals."""

import streamlit as st

from kamcore.i18n import choice_label
from kamcore.learning import playbook
from kamcore.pipeline import stage_model
from kamui import context

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
    with st.container(border=True):
        st.markdown(f"#### {entry['title']}")
        tags = " ".join(f":blue-badge[{t}]" for t in entry["tag_list"])
        st.markdown(" · ".join(x for x in (
            choice_label("dimension", entry["dimension"], page.lang), entry["industry"],
            stages.get(entry["stage"], entry["stage"]), tags) if x))
        st.write(entry["practice"])
        st.caption(page.t("playbook.from", count=len(entry["sources"]), name=entry["owner_name"] or "—"))
        for source in entry["sources"]:
            outcome = choice_label("result", source["result"], page.lang)
            if source["account_id"] is None:
                st.markdown(f"- {page.t('playbook.other_account')} · {outcome}")
                continue
            st.page_link("pages/retrospectives.py", label=f"{source['account']} · {source['retrospective']} · "
                         f"{outcome}", icon=":material/history_edu:",
                         query_params={"account": str(source["account_id"]),
                                       "retro": str(source["retrospective_id"])})
