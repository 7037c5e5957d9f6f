"""Where a team lives (issue 31): visits logged from a phone, calendars, the unread count and the deck."""

TEXTS = {
    "reason.visited_in_future": ("cannot be later than today", "不能晚于今天"),
}
