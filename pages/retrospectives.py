"""Retrospectives (复盘): facts timeline, success/failure factors, five whys, lessons, improvement actions,
the review lifecycle (draft → in review → final) with recorded sign-offs, and the "goals without results"
checklist of a missed goal (D10)."""

from datetime import date

import pandas as pd
import streamlit as st

from kamcore import permissions
from kamcore.learning import playbook, retrospectives, rules
from kamcore.learning.retrospectives import ACTION_STATUSES, DIMENSIONS, GOAL_CHECKS, HORIZONS, POLARITIES, WHY_LINKS
from kamcore.learning.rules import SEVERITIES
from kamcore.pipeline import stage_model
from kamcore.text import plain
from kamui.chores import act, labels, open_page, pick, tabs
from kamui.editing import EditableTable, VersionedForm
from kamui.rules_view import condition_builder, rule_preview, severity_label

page = open_page("retro.title", "retro.caption")
editable = permissions.can_edit(page.db, page.user, page.account_id)


def label(kind: str, value: str) -> str:
    return labels(kind)(value)


def new_retrospective() -> None:
    """Open a retrospective for a closed deal, an open one (mid-deal review) or an account period."""
    deals = retrospectives.reviewable_opportunities(page.db, page.user, page.account_id)
    by_id = {d["id"]: d for d in deals}
    kind = st.radio(page.t("field.review_type"), retrospectives.REVIEW_TYPES, key="retro.new.type",
                    format_func=lambda k: label("review_type", k), horizontal=True)
    values: dict = {"account_id": page.account_id, "review_type": kind}
    if kind == "period":
        left, mid, right = st.columns(3)
        values["review_from"] = left.date_input(page.t("field.review_from"), value=None, key="retro.new.from")
        values["review_to"] = mid.date_input(page.t("field.review_to"), value=None, key="retro.new.to")
        values["result"] = right.selectbox(page.t("field.result"), ("goal_missed", "goal_met"), key="retro.new.result",
                                           format_func=lambda r: label("result", r))
        values["title"] = st.text_input(page.t("field.title"), key="retro.new.title")
    else:
        wanted = [d for d in deals if (d["status"] == "open") == (kind == "mid_deal")]
        if not wanted:
            st.info(page.t("retro.no_deals_mid" if kind == "mid_deal" else "retro.no_deals_closed"))
        values["opportunity_id"] = st.selectbox(
            page.t("field.opportunity_id"), [d["id"] for d in wanted], key="retro.new.opp",
            format_func=lambda i: f"{by_id[i]['number']} {by_id[i]['name']} · {label('result', by_id[i]['status'])}")
    values["rival"] = st.text_input(page.t("field.rival"), key="retro.new.rival")
    if st.button(page.t("retro.create"), key="retro.new.create", type="primary", disabled=not editable):
        clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}
        act(lambda: retrospectives.create_retrospective(page.db, page.user, clean),
            page.t("retro.created_shown"), select="retro.pick")


def head(retro: dict, writable: bool) -> None:
    """Title, rival and summary, edited on the version they were read at (read-only once final)."""
    form = VersionedForm(f"retro.head.{retro['id']}", retro, ("title", "rival", "summary"))

    def write(version: int, changes: dict) -> dict:
        return retrospectives.update_retrospective(page.db, page.user, retro["id"], version, changes)

    form.conflict_panel(write, page.t("account.saved", version=retro["version"] + 1))
    form.stale_notice()
    with st.form(f"retro.head.form.{retro['id']}"):
        st.text_input(page.t("field.title"), **form.field("title"), disabled=not writable)
        st.text_input(page.t("field.rival"), **form.field("rival"), disabled=not writable)
        st.text_area(page.t("field.summary"), **form.field("summary"), height=100, disabled=not writable)
        if st.form_submit_button(page.t("common.save"), disabled=not writable):
            form.save(write, page.t("account.saved", version=retro["version"] + 1))


def timeline(retro: dict) -> None:
    facts = retrospectives.timeline(page.db, page.user, retro["id"])
    if not facts:
        st.info(page.t("retro.timeline_empty"))
        return
    stages = {s["key"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db, False)}

    def shown(kind: str, value) -> str:
        if value is None or value == "":
            return ""
        if kind == "stage":  # a close shows as the deal's result (won, lost, no decision)
            return stages.get(value) or label("result", value)
        if kind == "stance":
            return label("stance", value)
        return str(value)

    st.dataframe(pd.DataFrame([{
        page.t("col.at"): page.day(f["at"]), page.t("retro.col.event"): page.t(f"timeline.{f['kind']}"),
        page.t("retro.col.subject"): f["subject"], page.t("col.old"): shown(f["kind"], f["old"]),
        page.t("col.new"): shown(f["kind"], f["new"]), page.t("col.actor"): f["actor"]}
        for f in facts]), hide_index=True, width="stretch")


def lifecycle(retro: dict) -> None:
    """Where the retrospective stands (draft → in review → final), the next step for this person, and the
    recorded sign-offs (who, when, comment)."""
    key = f"retro.life.{retro['id']}"
    status, reviewer = retro["status"], retro["reviewer_id"]
    reviewers = retrospectives.reviewer_choices(page.db, page.user, page.account_id)
    badge = {"draft": ":gray-badge", "in_review": ":orange-badge", "final": ":green-badge"}[status]
    line = f"{badge}[{label('retro_status', status)}]"
    if reviewer is not None:
        line += " · " + page.t("retro.reviewer_named", name=plain(reviewers.get(reviewer, page.t("retro.former_user"))))
    st.markdown(line)
    if retro["reopen_reason"] and status == "draft":
        st.caption(page.t("retro.reopened_because", reason=plain(retro["reopen_reason"])))
    needed = retrospectives.needs_reviewer(page.db, retro)
    if status == "draft" and editable:
        left, right = st.columns([3, 1])
        options = [None, *reviewers] if not needed else list(reviewers)
        who = left.selectbox(page.t("field.retrospective.reviewer_id"), options, key=f"{key}.reviewer",
                             format_func=lambda i: page.t("retro.no_reviewer") if i is None else reviewers[i],
                             help=page.t("retro.reviewer_needed_help" if needed else "retro.reviewer_optional_help"))
        if right.button(page.t("retro.submit"), key=f"{key}.submit", type="primary"):
            act(lambda: retrospectives.submit_for_review(page.db, page.user, retro["id"], retro["version"], who),
                page.t("retro.submitted"))
    elif status == "in_review":
        if reviewer is None and editable:
            if st.button(page.t("retro.finalize"), key=f"{key}.finalize", type="primary"):
                act(lambda: retrospectives.finalize(page.db, page.user, retro["id"], retro["version"]),
                    page.t("retro.finalized"))
        elif reviewer == page.user.id:
            comment = st.text_input(page.t("field.comment"), key=f"{key}.comment")
            if st.button(page.t("retro.sign_off"), key=f"{key}.sign_off", type="primary"):
                act(lambda: retrospectives.finalize(page.db, page.user, retro["id"], retro["version"], comment),
                    page.t("retro.finalized"))
        elif reviewer is not None:
            st.caption(page.t("retro.waiting_for", name=plain(reviewers.get(reviewer, page.t("retro.former_user")))))
    elif status == "final":
        st.caption(page.t("retro.final_read_only"))
        if permissions.is_first_responsible(page.db, page.user, page.account_id) or reviewer == page.user.id:
            with st.popover(page.t("retro.reopen"), icon=":material/lock_open:"):
                reason = st.text_input(page.t("field.reopen_reason"), key=f"{key}.reason")
                if st.button(page.t("retro.reopen"), key=f"{key}.reopen"):
                    act(lambda: retrospectives.reopen(page.db, page.user, retro["id"], retro["version"], reason),
                        page.t("retro.reopened"))
    signed = retrospectives.signoff_list(page.db, page.user, retro["id"])
    may_agree = status != "draft" and not any(s["user_id"] == page.user.id and s["purpose"] == "agree"
                                              for s in signed) \
        and (permissions.team_role(page.db, page.user, page.account_id) or reviewer == page.user.id)
    if may_agree and st.button(page.t("retro.agree"), key=f"{key}.agree", icon=":material/handshake:"):
        act(lambda: retrospectives.agree_conclusions(page.db, page.user, retro["id"]), page.t("retro.agreed"))
    if signed:
        st.dataframe(pd.DataFrame([{
            page.t("col.actor"): s["name"], page.t("retro.col.signed_for"): label("signoff_purpose", s["purpose"]),
            page.t("col.at"): page.stamp(s["signed_at"]), page.t("field.comment"): s["comment"]}
            for s in signed]), hide_index=True, width="stretch")


def goal_checklist(retro: dict, writable: bool) -> None:
    """D10 "goals without results": consensus on the goal, one owner, incentives, the four core elements."""
    st.subheader(page.t("retro.goal_checklist"))
    st.caption(page.t("retro.goal_checklist_help"))
    form = VersionedForm(f"retro.goals.{retro['id']}", retro, GOAL_CHECKS)

    def write(version: int, changes: dict) -> dict:
        return retrospectives.update_retrospective(page.db, page.user, retro["id"], version, changes)

    form.conflict_panel(write, page.t("retro.checklist_saved"))
    with st.form(f"retro.goals.form.{retro['id']}"):
        cols = st.columns(2)
        for index, name in enumerate(GOAL_CHECKS):
            cols[index % 2].radio(page.t(f"field.{name}"), [None, "ok", "failed"], **form.choice(name, [None, "ok", "failed"]),
                                  format_func=labels("goal_check"), horizontal=True, disabled=not writable)
        if st.form_submit_button(page.t("common.save"), disabled=not writable):
            form.save(write, page.t("retro.checklist_saved"))
    failed = retrospectives.failed_goal_checks(retro)
    if failed:
        st.warning(page.t("retro.checks_failed", names=", ".join(page.t(f"field.{n}") for n in failed)))


def part_table(retro: dict, part: str, rows: list[dict], columns: dict, label_of, writable: bool) -> None:
    """Existing rows of one part, each saved on its own version (several people edit at once)."""
    if not rows:
        st.info(page.t(f"retro.{part}_empty"))
        return
    if not writable:  # read-only: a plain table in words (choices by their labels, people by name)
        st.dataframe(pd.DataFrame([{spec["label"]: _shown(spec, r[c]) for c, spec in columns.items()} for r in rows]),
                     hide_index=True, width="stretch")
        return
    frame = pd.DataFrame([{**{c: r[c] for c in columns}, "id": r["id"], "version": r["version"]} for r in rows])
    table = EditableTable(f"retro.{part}.{retro['id']}", frame, label_of)
    table.refused_panel(lambda rid, changes: retrospectives.update_part(
        page.db, page.user, part, rid, _version(rows, rid), changes))
    table.render(column_config=columns, column_order=list(columns), hide_index=True, width="stretch",
                 disabled=not writable, num_rows="dynamic" if writable else "fixed")
    if writable and st.button(page.t("table.save"), key=f"retro.{part}.save.{retro['id']}"):
        table.save(lambda rid, ver, ch: retrospectives.update_part(page.db, page.user, part, rid, ver, ch),
                   delete=lambda rid, ver: retrospectives.delete_part(page.db, page.user, part, rid, ver))


def _shown(spec: dict, value) -> str:
    """A cell as the editor would show it: a choice by its label, anything else as it is."""
    options = (spec.get("type_config") or {}).get("options") or []
    found = next((o.get("label") for o in options if isinstance(o, dict) and o.get("value") == value), None)
    return "" if value is None else str(found if found is not None else value)


def _version(rows: list[dict], row_id: int) -> int:
    found = retrospectives.parts(page.db, page.user, rows[0]["retrospective_id"])
    return next(r["version"] for group in found.values() for r in group if r["id"] == row_id)


def factors(retro: dict, rows: list[dict], writable: bool) -> None:
    cols = {
        "dimension": st.column_config.SelectboxColumn(page.t("field.dimension"), options=DIMENSIONS, required=True,
                                                      format_func=labels("dimension")),
        "polarity": st.column_config.SelectboxColumn(page.t("field.polarity"), options=POLARITIES, required=True,
                                                     format_func=labels("polarity")),
        "text": st.column_config.TextColumn(page.t("field.text"), required=True, width="large"),
        "impact": st.column_config.NumberColumn(page.t("field.impact"), min_value=1, max_value=3, step=1),
    }
    part_table(retro, "factor", rows, cols, lambda r: str(r["text"])[:40], writable)
    if writable:
        with st.form(f"retro.factor.add.{retro['id']}", clear_on_submit=True):
            a, b, c = st.columns([2, 2, 1])
            dimension = a.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.factor.dimension",
                                    format_func=labels("dimension"))
            polarity = b.selectbox(page.t("field.polarity"), POLARITIES, key="retro.factor.polarity",
                                   format_func=labels("polarity"))
            impact = c.number_input(page.t("field.impact"), 1, 3, 2, key="retro.factor.impact")
            text = st.text_input(page.t("field.text"), key="retro.factor.text")
            if st.form_submit_button(page.t("retro.add_factor")):
                _add("factor", retro, {"dimension": dimension, "polarity": polarity, "text": text, "impact": impact})


def whys(retro: dict, rows: list[dict], writable: bool) -> None:
    for chain in rows:
        links = [plain(chain[n]) for n in WHY_LINKS if chain[n]]
        st.markdown(f"**{plain(chain['problem'])}** → " + " → ".join(links) +
                    f" ⇒ **{page.t('field.root_cause')}: {plain(chain['root_cause'])}**")
    if not rows:
        st.info(page.t("retro.why_empty"))
    if writable:
        with st.form(f"retro.why.add.{retro['id']}"):
            dimension = st.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.why.dimension",
                                     format_func=labels("dimension"))
            values = {"dimension": dimension,
                      "problem": st.text_input(page.t("field.problem"), key="retro.why.problem")}
            for name in WHY_LINKS:
                values[name] = st.text_input(page.t(f"field.{name}"), key=f"retro.why.{name}")
            values["root_cause"] = st.text_input(page.t("field.root_cause"), key="retro.why.root_cause")
            if st.form_submit_button(page.t("retro.add_why")):
                _add("why", retro, values)


def lessons(retro: dict, rows: list[dict], writable: bool) -> None:
    """Lessons; even in a final retrospective a lesson can still reach the playbook or become a rule."""
    if not rows:
        st.info(page.t("retro.lesson_empty"))
    stages = {s["key"]: stage_model.stage_name(s, page.lang) for s in stage_model.list_stages(page.db)}
    for lesson in rows:
        badge = " · 📘 " + page.t("retro.in_playbook") if lesson["playbook_entry_id"] else ""
        with st.expander(f"**{plain(lesson['title'])}** — {label('dimension', lesson['dimension'])}{badge}"):
            if lesson["detail"]:
                st.markdown(plain(lesson["detail"]))
            if lesson["playbook_entry_id"]:
                st.page_link("pages/playbook.py", label=page.t("retro.open_practice"), icon=":material/menu_book:",
                             query_params={"entry": str(lesson["playbook_entry_id"])})
            if not editable:
                continue
            left, right = st.columns(2)
            if not lesson["playbook_entry_id"] and left.button(page.t("retro.promote"),
                                                                key=f"retro.promote.{lesson['id']}"):
                act(lambda le=lesson: playbook.promote(page.db, page.user, le["id"], le["version"], {}),
                    page.t("retro.promoted"))
            with right.popover(page.t("retro.make_rule"), width="stretch"):
                rule_from_lesson(lesson)
    if writable:
        with st.form(f"retro.lesson.add.{retro['id']}", clear_on_submit=True):
            title = st.text_input(page.t("field.title"), key="retro.lesson.title")
            detail = st.text_area(page.t("field.detail"), key="retro.lesson.detail", height=80)
            a, b = st.columns(2)
            dimension = a.selectbox(page.t("field.dimension"), DIMENSIONS, key="retro.lesson.dimension",
                                    format_func=labels("dimension"))
            stage = b.selectbox(page.t("field.stage"), ["", *stages], key="retro.lesson.stage",
                                format_func=lambda k: stages.get(k, "—"))
            if st.form_submit_button(page.t("retro.add_lesson")):
                _add("lesson", retro, {"title": title, "detail": detail, "dimension": dimension, "stage": stage})


def rule_from_lesson(lesson: dict) -> None:
    """Turn this lesson into a rule: pick the conditions that would have warned us, see what it would flag."""
    key = f"retro.rule.{lesson['id']}"
    st.caption(page.t("retro.make_rule_help"))
    severity = st.selectbox(page.t("field.severity"), SEVERITIES, index=1, key=f"{key}.severity",
                            format_func=severity_label)
    conditions = condition_builder(key)
    allow_all = rule_preview(page.db, page.user, conditions, key)
    if st.button(page.t("retro.create_rule"), key=f"{key}.create", type="primary"):
        act(lambda: rules.rule_from_lesson(page.db, page.user, lesson["id"], {
            "severity": severity, "conditions": conditions}, allow_match_all=allow_all),
            page.t("retro.rule_created", name=lesson["title"][:120]))


def actions(retro: dict, rows: list[dict], writable: bool) -> None:
    owners = retrospectives.owner_choices(page.db, page.user, page.account_id)
    cols = {
        "text": st.column_config.TextColumn(page.t("field.text"), required=True, width="large"),
        "owner_id": st.column_config.SelectboxColumn(page.t("field.owner_id"), options=list(owners), required=True,
                                                     format_func=lambda i: owners.get(i, "—")),
        "due_date": st.column_config.TextColumn(page.t("field.due_date"), required=True),
        "horizon": st.column_config.SelectboxColumn(page.t("field.horizon"), options=HORIZONS,
                                                    format_func=labels("horizon")),
        "status": st.column_config.SelectboxColumn(page.t("field.status"), options=ACTION_STATUSES,
                                                   format_func=labels("action_status")),
    }
    part_table(retro, "action", rows, cols, lambda r: str(r["text"])[:40], writable)
    if writable and owners:
        with st.form(f"retro.action.add.{retro['id']}", clear_on_submit=True):
            text = st.text_input(page.t("field.text"), key="retro.action.text")
            a, b, c = st.columns(3)
            owner = a.selectbox(page.t("field.owner_id"), list(owners), format_func=owners.get,
                                key="retro.action.owner")
            due = b.date_input(page.t("field.due_date"), value=None, key="retro.action.due")
            horizon = c.selectbox(page.t("field.horizon"), HORIZONS, index=1, key="retro.action.horizon",
                                  format_func=labels("horizon"))
            if st.form_submit_button(page.t("retro.add_action")):
                _add("action", retro, {"text": text, "owner_id": owner, "horizon": horizon,
                                       "due_date": due.isoformat() if due else None})


def _add(part: str, retro: dict, values: dict) -> None:
    act(lambda: retrospectives.add_part(page.db, page.user, part, retro["id"], values), page.t("retro.added"))


listing = retrospectives.list_retrospectives(page.db, page.user, page.account_id)
with st.expander(page.t("retro.new"), expanded=not listing, icon=":material/add:"):
    if editable:
        new_retrospective()
    else:
        st.caption(page.t("shell.read_only"))
if not listing:
    st.info(page.t("retro.empty"))
    st.stop()
by_id = {r["id"]: r for r in listing}
chosen = pick("retro.pick", list(by_id), lambda i: f"{by_id[i]['title']} · {label('result', by_id[i]['result'])} · "
              f"{label('review_type', by_id[i]['review_type'])} · {label('retro_status', by_id[i]['status'])}",
              param="retro", title=page.t("retro.pick"))
retro = retrospectives.get_retrospective(page.db, page.user, chosen)
writable = editable and retro["status"] != "final"
st.header(plain(retro["title"]))
st.caption(" · ".join(x for x in (
    label("review_type", retro["review_type"]), label("result", retro["result"]),
    plain(retro["opportunity_name"]) if retro["opportunity_name"] else (f"{retro['review_from']} – {retro['review_to']}" if retro["review_type"] == "period"
                                  else page.t("retro.deal_deleted")),
    (page.t("field.rival") + ": " + plain(retro["rival"])) if retro["rival"] else "") if x))
lifecycle(retro)
head(retro, writable)
if retro["result"] == "goal_missed":
    goal_checklist(retro, writable)
st.subheader(page.t("retro.timeline"))
timeline(retro)
parts = retrospectives.parts(page.db, page.user, retro["id"])
shown = tabs([page.t("retro.tab.factors", count=len(parts["factor"])),
              page.t("retro.tab.whys", count=len(parts["why"])),
              page.t("retro.tab.lessons", count=len(parts["lesson"])),
              page.t("retro.tab.actions", count=len(parts["action"]))], key="retro.tabs")
with shown[0]:
    factors(retro, parts["factor"], writable)
with shown[1]:
    whys(retro, parts["why"], writable)
with shown[2]:
    lessons(retro, parts["lesson"], writable)
with shown[3]:
    actions(retro, parts["action"], writable)
