"""Placeholder until the page lands."""

from kamui.chores import open_page

page = open_page("proposal.title", "proposal.caption")
