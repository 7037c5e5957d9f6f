"""The executive views at scale: the paged whitespace page (sort, filter, what is not drawn) and the pipeline
page's tabs."""

TEXTS = {
    "whitespace.sort": ("Sort accounts by", "客户排序依据"),
    "whitespace.sort.potential": ("Total potential", "潜在增量合计"),
    "whitespace.sort.gap": ("Total gap to target (points)", "与目标差距合计（百分点）"),
    "whitespace.sort.current_share": ("Average current share %", "平均当前份额 %"),
    "whitespace.sort.name": ("Name", "名称"),
    "whitespace.planned_only": ("Only accounts with a plan", "仅显示有规划的客户"),
    "whitespace.hidden": ("{accounts:,} more accounts ({cells:,} cells) are on the other pages: change the page, "
                          "the sort or the filter to see them.",
                          "另有 {accounts:,} 个客户（{cells:,} 格）在其他页：请翻页、更改排序或筛选查看。"),
    "whitespace.filtered": ("{accounts:,} accounts without any plan are hidden by the filter.",
                            "筛选已隐藏 {accounts:,} 个没有任何规划的客户。"),
    "whitespace.unplanned_accounts": ("{accounts:,} accounts have no plan yet; they sort last.",
                                      "{accounts:,} 个客户尚无规划，排在最后。"),
    "pipe.tab.flow": ("Conversion and days in stage", "阶段转化率与停留天数"),
}
