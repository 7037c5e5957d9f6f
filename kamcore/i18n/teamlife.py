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
    "mail.mention.subject": ("{author} mentioned you · {account}", "{author} 在 {account} 中提到了您"),
    "mail.mention.body": ("{author} mentioned you in a comment on a {record} of {account}:\n\n{body}\n\nOpen it: {link}",
                          "{author} 在 {account} 的{record}评论中提到了您：\n\n{body}\n\n打开查看：{link}"),
    "mail.assigned.subject": ("{who} gave you a {record} · {account}", "{who} 给您分配了{record} · {account}"),
    "mail.assigned.body": ("{who} made you the owner of a {record} of {account}.\n\nOpen it: {link}",
                           "{who} 将 {account} 的一项{record}分配给您负责。\n\n打开查看：{link}"),
    "mail.overdue.subject": ("{count} of your actions are overdue", "您有 {count} 项行动已逾期"),
    "mail.overdue.body": ("These actions of yours are past their due date:\n\n{items}\n\nMy work: {link}",
                          "以下您负责的行动已过截止日期：\n\n{items}\n\n我的工作：{link}"),
    "mail.tender.subject": ("Tender deadline in {days} working days: {deal} · {account}",
                            "投标截止还有 {days} 个工作日：{deal} · {account}"),
    "mail.tender.body": ("The tender for {deal} ({account}) is due on {deadline}, in {days} working days; {open} "
                         "requirement(s) are still open.\n\nOpen the proposal: {link}",
                         "{deal}（{account}）的投标将于 {deadline} 截止，还有 {days} 个工作日；仍有 {open} 条需求未完成。"
                         "\n\n打开建议书：{link}"),
    "mail.digest.subject": ("Your accounts this week (week {week})", "您的客户本周概况（第 {week} 周）"),
    "mail.digest.body": ("Your {accounts} account(s) this week:\n\n- {changes} change(s) in the last 7 days\n"
                         "- {overdue} item(s) overdue\n- {closing} deal(s) closing within 30 days\n"
                         "- {stale} key people not contacted for 60 days:\n{people}\n\nOpen the war room: {link}",
                         "您负责的 {accounts} 个客户本周概况：\n\n- 近 7 天有 {changes} 处变更\n- {overdue} 项已逾期\n"
                         "- {closing} 个商机将在 30 天内成交\n- {stale} 位关键人 60 天未联系：\n{people}\n\n"
                         "打开作战室：{link}"),
    "mail.prefs.title": ("Mail I get", "我接收的邮件"),
    "mail.prefs.caption": ("Sent to {email}, in your language. Turn off what you do not want.",
                           "发送至 {email}，使用您的语言。可关闭不需要的邮件。"),
    "mail.prefs.no_email": ("You have no e-mail address, so no mail is sent to you: add one below.",
                            "您没有电子邮箱地址，因此不会收到邮件：请在下方填写。"),
    "mail.kind.mention": ("When someone @mentions me", "有人 @提及 我时"),
    "mail.kind.assigned": ("When someone gives me an action", "有人给我分配行动项时"),
    "mail.kind.overdue": ("My overdue actions (daily)", "我的逾期行动（每日）"),
    "mail.kind.tender": ("Tender deadlines three working days ahead", "提前三个工作日的投标截止提醒"),
    "mail.kind.digest": ("Weekly digest of my accounts", "我的客户每周摘要"),
    "mail.prefs.saved": ("Mail choices saved.", "邮件设置已保存。"),
    "mail.email.save": ("Save my e-mail address", "保存我的邮箱地址"),
    "mail.email.saved": ("E-mail address saved.", "邮箱地址已保存。"),
    "mail.admin.title": ("Mail", "邮件"),
    "mail.admin.off": ("No SMTP server is configured, so no mail is sent (messages are not even queued for "
                       "sending). Set KAM_SMTP_HOST (and port, TLS, user, password) in the environment or an [smtp] "
                       "table in .streamlit/secrets.toml; see the README.",
                       "未配置 SMTP 服务器，因此不会发送任何邮件。请在环境变量中设置 KAM_SMTP_HOST（以及端口、TLS、用户名、"
                       "密码），或在 .streamlit/secrets.toml 的 [smtp] 表中配置；详见 README。"),
    "mail.admin.on": ("Mail goes out through {host}:{port} ({tls}).", "邮件经由 {host}:{port}（{tls}）发送。"),
    "mail.admin.counts": ("Waiting: {waiting} · sent: {sent} · failing: {failing}",
                          "待发送：{waiting} · 已发送：{sent} · 发送失败：{failing}"),
    "mail.admin.error": ("{recipient} · {subject}: {error} (tries: {attempts}; next try {next})",
                         "{recipient} · {subject}：{error}（已尝试 {attempts} 次；下次尝试 {next}）"),
    "mail.admin.without_email": ("No e-mail address, so no mail: {names}", "没有邮箱地址，不会收到邮件：{names}"),
}
