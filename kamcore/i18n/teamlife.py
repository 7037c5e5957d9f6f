"""Where a team lives (issue 31): visits logged from a phone, calendars, the unread count and the deck."""

TEXTS = {
    "reason.visited_in_future": ("cannot be later than today", "不能晚于今天"),
    "reason.deck_no_accounts": ("has no account to put in the deck: pick at least one",
                                "没有可放入演示文稿的客户：请至少选择一个"),
    "deck.download": ("Download the deck (PowerPoint)", "下载演示文稿（PowerPoint）"),
    "field.accounts": ("Accounts", "客户"),
    "nav.unread": ("{title} ({count})", "{title}（{count}）"),
    "mywork.unread": ("{mentions} new mention(s) and {assigned} newly assigned action(s) since you last looked.",
                      "自您上次查看以来，有 {mentions} 条新的 @提及 和 {assigned} 项新分配给您的行动项。"),
    "cal.visit": ("Visit: {title} · {account}", "拜访：{title} · {account}"),
    "cal.action": ("Action due: {title} · {account}", "行动项到期：{title} · {account}"),
    "cal.huddle": ("Huddle: {title} · {account}", "例会：{title} · {account}"),
    "cal.tender": ("Tender deadline: {title} · {account}", "投标截止：{title} · {account}"),
    "cal.review": ("Customer review: {title} · {account}", "客户业务回顾：{title} · {account}"),
    "cal.rhythm": ("Due: {title}", "截止：{title}"),
    "cal.download": ("Add to calendar (.ics)", "加入日历（.ics）"),
    "cal.download_help": ("Opens in Outlook, Google Calendar or Apple Calendar; importing it again updates the same "
                          "events.", "可导入 Outlook、Google 日历或苹果日历；再次导入会更新同一批日程。"),
    "cal.feed.title": ("My calendar feed", "我的日历订阅"),
    "cal.feed.caption": ("One secret address that lists your visits, actions, huddles, tender deadlines, customer "
                         "reviews and rhythm deadlines, and those of your accounts. Subscribe to it in your calendar; "
                         "anyone with the address can read it, so keep it to yourself.",
                         "一个私密地址，列出您及您所负责客户的拜访、行动项、例会、投标截止、客户业务回顾和工作节奏截止时间。"
                         "请在日历中订阅；持有该地址的人都能读取，请勿外传。"),
    "cal.feed.none": ("You have no feed address.", "您还没有订阅地址。"),
    "cal.feed.since": ("Your feed address was made on {when}. It is shown only once: make a new one if you lost it.",
                       "您的订阅地址创建于 {when}。地址只显示一次：如已遗失，请重新生成。"),
    "cal.feed.start": ("Make my feed address", "生成我的订阅地址"),
    "cal.feed.renew": ("Make a new address (the old one stops)", "生成新地址（旧地址失效）"),
    "cal.feed.revoke": ("Stop my feed", "停用我的订阅"),
    "cal.feed.made": ("Your new feed address (copy it now; it is not shown again):",
                      "您的新订阅地址（请立即复制，之后不再显示）："),
    "cal.feed.revoked": ("Your feed address no longer works.", "您的订阅地址已失效。"),
    "cal.mine": ("My calendar (.ics)", "我的日历（.ics）"),
}
