"""History: every change to the account, filterable, with restore of an earlier value."""

from datetime import date, timedelta

import streamlit as st

from kamcore import audit, clock
from kamui.audit_view import audit_frame, value_text
from kamui.chores import act, open_page

page = open_page("history.title", "history.caption")

facets = audit.history_facets(page.db, page.user, page.account_id)
people = {p["id"]: p["name"] for p in facets["people"]}
cols = st.columns(4)
person = cols[0].selectbox(page.t("history.person"), [None, *people], key="history.person",
                           format_func=lambda i: page.t("history.all") if i is None else people[i])
entity = cols[1].selectbox(page.t("history.entity"), [None, *facets["entities"]], key="history.entity",
                           format_func=lambda e: page.t("history.all") if e is None else page.t(f"entity.{e}"))
start = cols[2].date_input(page.t("history.from"), value=None, key="history.from")
end = cols[3].date_input(page.t("history.to"), value=None, key="history.to")
if start and end and start > end:
    st.error(page.t("history.bad_range"))
    st.stop()


def iso(day: date | None, shift: int = 0) -> str | None:
    """A date filter as the audit log's ISO text: the start of that day in the reader's zone (the 'to' day is
    inclusive)."""
    return None if day is None else clock.start_of_day(day + timedelta(days=shift), page.zone).isoformat()


filters = {"actor_id": person, "entity": entity, "since": iso(start), "until": iso(end, 1)}
total = audit.count_history(page.db, page.user, page.account_id, **filters)
if not total:
    st.info(page.t("history.empty"))
    st.stop()
pages_total = max(1, -(-total // audit.PAGE_SIZE))
st.caption(page.t("history.count", count=total))
number = st.pagination(pages_total, key="history.page") if pages_total > 1 else 1
rows = audit.history(page.db, page.user, page.account_id, **filters,
                     offset=(number - 1) * audit.PAGE_SIZE, lang=page.lang)
st.dataframe(audit_frame(rows), hide_index=True, width="stretch")

restorable = audit.restorable(page.db, page.user, rows)
if restorable:
    with st.form("history.restore"):
        by_id = {r["id"]: r for r in restorable}
        chosen = st.selectbox(
            page.t("history.restore_pick"), list(by_id), key="history.restore.pick",
            format_func=lambda i: f"{page.stamp(by_id[i]['at'])} · {by_id[i]['actor']} · "
            f"{by_id[i]['record']} · "
            f"{page.t('field.' + by_id[i]['field'])}: {value_text(by_id[i], 'old_value', page.lang, page.zone)} → "
            f"{value_text(by_id[i], 'new_value', page.lang, page.zone)}",
        )
        # restore on the version that was on screen when the user chose: a newer write is a conflict
        seen = st.session_state.get("history.seen_versions", {})
        if st.form_submit_button(page.t("history.restore")):
            entry = by_id[chosen]
            base = seen.get(chosen) or audit.current_version(page.db, entry["entity"], entry["entity_id"]) or 0
            act(lambda: audit.restore(page.db, page.user, chosen, base),
                page.t("history.restored", field=page.t("field." + entry["field"]), value=value_text(entry, "old_value", page.lang, page.zone)))
    st.session_state["history.seen_versions"] = {
        i: audit.current_version(page.db, r["entity"], r["entity_id"]) for i, r in by_id.items()
    }
