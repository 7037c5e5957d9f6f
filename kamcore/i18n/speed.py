"""Text of the paging controls on the executive lists (Home, Portfolio)."""

TEXTS = {
    "paging.sort": ("Sort by", "排序"),
    "paging.descending": ("Descending", "降序"),
    "paging.page": ("Page", "页码"),
    "paging.of": ("{first}–{last} of {total} accounts", "共 {total} 个客户，第 {first}–{last} 个"),
    "paging.sort.name": ("Name", "名称"),
    "paging.sort.status": ("Status", "状态"),
    "paging.sort.tier": ("Tier", "客户分级"),
    "paging.sort.score": ("Score", "得分"),
    "paging.sort.revenue": ("Revenue", "收入"),
    "paging.sort.gross_profit": ("Gross profit", "毛利"),
}
