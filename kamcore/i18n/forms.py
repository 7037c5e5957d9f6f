"""Text of the forms that show what is stored (issue 27): a repeated add, a new row missing a field."""

TEXTS = {
    "form.same_add": (
        "You just added exactly this; change something to add another, or leave it — it is saved.",
        "您刚刚添加了完全相同的内容；如需再添加一条，请修改内容；否则无需操作——它已保存。",
    ),
    "present.to_huddle": ("Open the Huddle page to start or pick a huddle", "打开例会页面，发起或选择一次例会"),
    "present.to_home": ("Back to the key accounts", "返回大客户总览"),
}
