"""Take your data with you: export to JSON / Excel, import with a dry-run preview, backups and restore."""

import pandas as pd
import streamlit as st

from kamcore import accounts, store
from kamcore.data import account_move, backups, portability
from kamcore.data.portability import ImportPlan
from kamcore.errors import KamError
from kamcore.text import plain
from kamui import context, long_work
from kamui.editing import attempt, flash, show_error

page = context.page()
st.title(page.t("data.title"))
st.caption(page.t("data.caption"))


def plan_frame(plan: ImportPlan, restore: bool = False) -> pd.DataFrame:
    """One line per table that the import or restore touches."""
    rows = [
        {
            page.t("data.col.table"): t.table,
            page.t("data.col.new"): t.new,
            page.t("data.col.changed"): t.changed,
            page.t("data.col.newer"): len(t.newer_in_db),
            page.t("data.col.unchanged"): t.unchanged,
            page.t("data.col.only_in_db"): t.only_in_db,
            page.t("data.col.kept"): t.kept,
        }
        for t in plan.tables
        if t.new or t.changed or t.kept or (restore and t.only_in_db)
    ]
    return pd.DataFrame(rows)


def change_frame(plan: ImportPlan) -> pd.DataFrame:
    """One line per record the import would write, with each field's value now and from the file."""
    def shown(value: object) -> str:
        return "—" if value in (None, "") else str(value)[:60]

    rows = []
    for change in plan.changes:
        label = next((str(change.row[f]) for f in NAME_FIELDS if change.row.get(f)), "")
        action = ("data.action.new" if change.action == "new" else
                  "data.action.changed_newer" if change.newer_in_db else "data.action.changed")
        rows.append({
            page.t("data.col.kind"): page.t(f"entity.{change.entity}"),
            page.t("data.col.record"): label[:60] or page.t(f"entity.{change.entity}"),
            page.t("data.col.action"): page.t(action),
            page.t("data.col.fields"): "; ".join(f"{page.t(f'field.{f}')}: {shown(old)} → {shown(new)}"
                                                 for f, old, new in change.fields[:12]),
        })
    return pd.DataFrame(rows)


NAME_FIELDS = ("name", "title", "label", "statement", "body", "text", "description", "code")


def export_tab() -> None:
    """One account (anyone who can read it) or everything (administrators)."""
    scopes = ([page.account_id] if page.account_id is not None else []) + ([None] if page.user.is_admin else [])
    if not scopes:
        st.info(page.t("page.pick_account"))
        return
    name = plain(accounts.get_account(page.db, page.user, page.account_id)["name"]) if page.account_id else ""
    scope = st.radio(page.t("data.scope"), scopes, key="data.export.scope", horizontal=True,
                     format_func=lambda s: page.t("data.scope_all") if s is None else page.t("data.scope_account",
                                                                                               name=name))
    st.caption(page.t("data.export_note"))
    outcome = long_work.button("data.export.prepare", page.t("data.prepare"), working=page.t("data.preparing"),
                               work=lambda progress: portability.prepare_export(context.db(), page.user, scope,
                                                                                progress))
    if outcome and outcome[0]:
        st.session_state["data.export.files"] = outcome[1]
        flash(page.t("data.prepared"))
        st.rerun()
    files = st.session_state.get("data.export.files")
    if files and files.scope == scope:
        left, right = st.columns(2)
        left.download_button(page.t("data.json"), files.json, file_name=f"{files.stem}.json", mime="application/json",
                             key="data.export.json")
        right.download_button(page.t("data.xlsx"), files.xlsx, file_name=f"{files.stem}.xlsx", key="data.export.xlsx",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def import_tab() -> None:
    """Upload, dry run, confirm newer-data overwrites, import."""
    upload = st.file_uploader(page.t("data.upload"), type=["json", "xlsx"], key="data.import.file")
    if upload is None:
        return
    raw = upload.getvalue()
    try:
        data = (portability.from_xlsx(raw, page.db) if upload.name.lower().endswith(".xlsx")
                else portability.from_json(raw))
        if account_move.is_move(page.db, data):
            move_preview(data)
            return
        plan = portability.plan_import(page.db, page.user, data)
    except KamError as exc:
        show_error(exc)
        return
    st.markdown(f"**{page.t('data.preview')}**")
    skipped = [f"{t.table} ({t.skipped})" for t in plan.tables if t.skipped]
    if skipped:
        st.caption(page.t("data.skipped", tables=", ".join(skipped)))
    if not plan.writes:
        st.info(page.t("data.nothing_to_do"))
        return
    st.dataframe(plan_frame(plan), hide_index=True, width="stretch")
    st.markdown(f"**{page.t('data.changes')}**")
    st.dataframe(change_frame(plan), hide_index=True, width="stretch")
    confirm = False
    if plan.newer_in_db:
        confirm = st.checkbox(page.t("data.confirm_newer", count=plan.newer_in_db), key="data.import.confirm")
    if st.button(page.t("data.do_import"), key="data.import.apply", type="primary"):
        ok, done = attempt(lambda: portability.apply_import(page.db, page.user, data, confirm_newer=confirm))
        if ok:
            flash(page.t("data.imported", count=done.writes))
            st.rerun()


def move_preview(data: dict) -> None:
    """An account from another war room: what comes along (created, matched by name, left out), then the move."""
    plan = account_move.plan_move(page.db, page.user, data)
    st.markdown(f"**{page.t('data.move_title', account=plan.account)}**")
    st.dataframe(pd.DataFrame([{page.t("data.col.table"): table, page.t("data.col.new"): count}
                               for table, count in plan.rows.items()]), hide_index=True, width="stretch")
    for table, names in plan.created.items():
        st.caption(page.t("data.move_created", table=table, names=", ".join(names)))
    for table, names in plan.blank.items():
        st.caption(page.t("data.move_blank", table=table, names=", ".join(names)))
    if plan.left_out:
        st.caption(page.t("data.move_left_out", tables=", ".join(f"{t} ({n})" for t, n in plan.left_out.items())))
    if st.button(page.t("data.do_import"), key="data.import.move", type="primary"):
        ok, done = attempt(lambda: account_move.apply_move(page.db, page.user, data))
        if ok:
            flash(page.t("data.moved", account=done.account, count=sum(done.rows.values())))
            st.rerun()


def backups_tab() -> None:
    """Back up now; the list of backups; restore one after a preview of what would be lost."""
    folder = backups.backup_dir(store.database_path())
    outcome = long_work.button("data.backup.now", page.t("data.backup_now"), working=page.t("data.backing_up"),
                               work=lambda progress: backups.create_backup(context.db(), page.user, folder,
                                                                           progress=progress))
    if outcome and outcome[0]:
        flash(page.t("data.backed_up", name=outcome[1].name))
        st.rerun()
    found = backups.list_backups(folder)
    if not found:
        st.info(page.t("data.no_backups"))
        return
    st.dataframe(pd.DataFrame([{
        page.t("data.col.name"): b.name, page.t("data.col.time"): page.stamp(b.modified),
        page.t("data.col.size"): round(b.size / 1024), page.t("data.col.level"): b.level,
        page.t("data.col.problem"): page.t(b.problem, name=b.name, detail="") if b.problem else "",
    } for b in found]), hide_index=True, width="stretch")
    usable = {b.name: b for b in found if not b.problem}
    if not usable:
        return
    chosen = st.selectbox(page.t("data.restore_pick"), list(usable), key="data.restore.pick")
    try:
        plan = backups.plan_restore(page.db, page.user, usable[chosen].path)
    except KamError as exc:
        show_error(exc)
        return
    lost = backups.losses(plan)
    st.markdown(f"**{page.t('data.restore_preview')}**")
    st.dataframe(plan_frame(plan, restore=True), hide_index=True, width="stretch")
    confirm = st.checkbox(page.t("data.restore_confirm", count=lost), key="data.restore.confirm") if lost else False
    if st.button(page.t("data.do_restore"), key="data.restore.apply", disabled=bool(lost) and not confirm):
        ok, result = attempt(lambda: backups.restore_backup(page.db, page.user, usable[chosen].path, confirm=confirm,
                                                            safety_dir=folder))
        if ok:
            _plan, safety = result
            flash(page.t("data.restored_safety", name=chosen, safety=safety.name) + " "
                  + page.t("data.restored_sessions"))
            st.rerun()


export, imports, saved = st.tabs([page.t("data.export"), page.t("data.import"), page.t("data.backups")])
with export:
    export_tab()
with imports:
    if page.user.is_admin:
        import_tab()
    else:
        st.info(page.t("data.admin_only"))
with saved:
    if page.user.is_admin:
        backups_tab()
    else:
        st.info(page.t("data.admin_only"))
