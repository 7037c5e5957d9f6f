"""Words for time zones: the company's (admin settings), a person's own, and the refusal of an unknown one."""

TEXTS = {
    "field.time_zone": ("Time zone", "时区"),
    "entity.company_settings": ("company settings", "公司设置"),
    "reason.time_zone_unknown": ("is not a time zone this server knows ({zone}); pick one such as Asia/Shanghai",
                                 "不是本服务器认识的时区（{zone}）；请选择例如 Asia/Shanghai"),
    "admin.settings.time_zone": ("Company time zone", "公司时区"),
    "admin.settings.time_zone_help": ("Today, overdue, this week and the rhythm deadlines (Friday 17:30, the 28th) "
                                      "fall on this zone's days; everyone reads times in it unless they pick their "
                                      "own.",
                                      "“今天”、逾期、本周以及节奏截止时间（周五 17:30、每月 28 日）都按此时区计算；"
                                      "除非个人另选，所有人都按此时区查看时间。"),
    "admin.settings.time_zone_saved": ("Company time zone saved: {zone}.", "公司时区已保存：{zone}。"),
    "zone.own": ("My time zone", "我的时区"),
    "zone.own_help": ("Times on your screens are shown in this zone. Deadlines and 'today' stay the company's "
                      "({zone}).",
                      "你看到的时间按此时区显示。截止时间与“今天”仍按公司时区（{zone}）。"),
    "zone.company_default": ("The company's ({zone})", "公司时区（{zone}）"),
    "zone.saved": ("Time zone saved.", "时区已保存。"),
    "zone.save": ("Save time zone", "保存时区"),
}
