"""Text of the editable tables (kamui.editing.EditableTable): nothing to save, edits the table could not keep."""

TEXTS = {
    "table.nothing": ("Nothing to save: no row changed.", "没有行变化，无需保存。"),
    "table.not_kept": (
        "typed while the table was being refreshed, so it is not in the table now — re-apply it or discard it",
        "在表格刷新时输入，未进入当前表格——请重新应用或放弃",
    ),
    "table.blank": ("—", "—"),
    "plan.line.whole_account": ("Whole account", "整个客户"),
}
