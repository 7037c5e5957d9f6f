"""Deal-health flags on the pages where the work happens (opportunity, account): the flags, each naming its
rule and lesson, and — for those who may edit the account — acknowledging one with a reason (audited in kamcore)."""

from __future__ import annotations

import streamlit as st

from kamcore import permissions
from kamcore.huddle.what_changed import link_for
from kamcore.learning import rules
from kamui.context import PageContext
from kamui.editing import attempt, flash
from kamui.rules_view import flag_list, rule_title


def flag_section(page: PageContext, flags: list[rules.Flag], *, key: str, account_id: int,
                 show_account: bool = False) -> None:
    """A count with a link to the health page, the flags (most severe first), and the acknowledge form."""
    link = f"[{page.t('health.title')}]({link_for('flag', account_id)})"
    if not flags:
        st.caption(f"{page.t('health.no_flags')} · {link}")
        return
    open_count = sum(f.acknowledged is None for f in flags)
    st.caption(f"{page.t('health.flag_count', total=len(flags), open=open_count)} · {link}")
    flag_list(flags, show_account=show_account, key=key)
    ackable = [f for f in flags if permissions.can_edit(page.db, page.user, f.account_id)]
    if ackable:
        ack_form(page, ackable, key=key)


def ack_form(page: PageContext, flags: list[rules.Flag], *, key: str, show_account: bool = False) -> None:
    """Acknowledge one flag with a reason (and optionally until a date); kamcore validates and audits it."""

    def label(i: int) -> str:
        where = flags[i].opportunity_name or page.t("health.account_level")
        return f"{rule_title(flags[i])} — {flags[i].account_name + ' · ' if show_account else ''}{where}"

    with st.expander(page.t("health.ack_title"), icon=":material/done:"), st.form(f"{key}.ack"):
        index = st.selectbox(page.t("health.flag"), range(len(flags)), key=f"{key}.ack.flag", format_func=label)
        reason = st.text_input(page.t("field.reason"), key=f"{key}.ack.reason")
        until = st.date_input(page.t("field.until"), value=None, key=f"{key}.ack.until")
        if st.form_submit_button(page.t("health.ack"), key=f"{key}.ack.submit"):
            flag = flags[index]
            ok, _ = attempt(lambda: rules.acknowledge(page.db, page.user, flag.rule_id, flag.account_id,
                                                      flag.opportunity_id, reason, until))
            if ok:
                flash(page.t("health.acked"))
                st.rerun()
