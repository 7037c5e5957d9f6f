"""Texts of the security work: what an import or a restore refuses, and why."""

TEXTS = {
    "field.signed_at": ("Signed at", "签署时间"),
    "retro.deal_deleted": ("its deal has since been deleted", "其商机已被删除"),
    "reason.outside_scope": ("belongs to another account than the one this file was exported from",
                             "属于导出此文件的客户之外的其他客户"),
    "reason.import_not_allowed": ("may not be written by you (the same permission as on the page)",
                                  "您无权写入（与页面上的权限相同）"),
    "reason.too_deep": ("nests deeper than {depth} levels: this is not an export of the war room",
                        "嵌套超过 {depth} 层：这不是作战室的导出文件"),
    "reason.foreign_schema": ("holds schema objects this war room's migrations did not create ({objects}): "
                              "a restore brings back data, never triggers, views or tables of its own",
                              "包含本作战室迁移未创建的数据库对象（{objects}）：恢复只带回数据，不带回其自身的触发器、视图或表"),
    "data.restored_sessions": ("Every sign-in session has ended: everyone signs in again (you too).",
                               "所有登录会话均已结束：每个人都需重新登录（包括您）。"),
    "data.changes": ("Record by record", "逐条记录"),
    "data.col.kind": ("Kind", "类型"),
    "data.col.record": ("Record", "记录"),
    "data.col.action": ("Change", "变化"),
    "data.col.fields": ("Fields: now → from the file", "字段：当前 → 文件中"),
    "data.action.new": ("new", "新增"),
    "data.action.changed": ("changed", "修改"),
    "data.action.changed_newer": ("changed (the database has a newer version)", "修改（数据库中有较新版本）"),
    "data.col.skipped": ("Not imported", "不导入"),
    "data.skipped": ("Never imported, whatever the file holds: users and roles, sign-in sessions, the history "
                     "(audit log) and settings. Rows of these in the file are ignored: {tables}.",
                     "无论文件内容如何，以下内容从不导入：用户和角色、登录会话、历史记录（审计日志）和设置。"
                     "文件中的这些行将被忽略：{tables}。"),
    # field names an import preview may show that had no label yet
    "field.freshness": ("Freshness", "新鲜度"),
    "field.goal_attainment": ("Goal attainment", "目标达成"),
    "field.key_people_coverage": ("Key people coverage", "关键人覆盖"),
    "field.number": ("Number", "编号"),
    "field.pipeline_coverage": ("Pipeline coverage", "管道覆盖率"),
    "field.plan_completeness": ("Plan completeness", "计划完整度"),
    "field.relationship_vs_target": ("Relationship vs target", "关系与目标对比"),
    "field.risk_flags": ("Risk flags", "风险提示"),
}
