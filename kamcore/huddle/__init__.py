"""The huddle (D7–D9): meetings, the agenda, what changed, the shared screen and minutes."""
