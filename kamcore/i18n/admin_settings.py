"""Words for the admin page's Settings tab: health weights, relationship thresholds, the review amount."""

TEXTS = {
    "admin.settings": ("Settings", "设置"),
    "admin.settings.weights": ("Account health weights", "客户健康度权重"),
    "admin.settings.weights_help": ("Whole numbers that add up to 100; each account's health score weighs its "
                                    "parts by them.",
                                    "整数，合计 100；每个客户的健康度按这些权重汇总各部分。"),
    "admin.settings.weights_saved": ("Health weights saved.", "健康度权重已保存。"),
    "admin.settings.thresholds": ("Relationship thresholds", "关系阈值"),
    "admin.settings.thresholds_help": ("When coverage guidance and the budget flag speak up, for every account.",
                                       "全部客户的覆盖提示与预算提醒何时出现。"),
    "admin.settings.thresholds_saved": ("Relationship thresholds saved.", "关系阈值已保存。"),
    "admin.settings.review": ("Retrospective review one level up", "复盘上一级评审"),
    "admin.settings.review_help": ("The full amount, in each deal's own currency; 0 means every lost deal is reviewed "
                                   "one level up. A missed goal always is.",
                                   "完整金额（可写 100万），按各商机自身币种；0 表示每个丢单都需上一级评审。未达成目标始终需要。"),
    "admin.settings.review_saved": ("Review amount saved.", "评审金额已保存。"),
    "admin.settings.save": ("Save", "保存"),
}
