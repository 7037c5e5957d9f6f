"""User text placed inside Markdown: shown literally, never as a link, an image, HTML or a heading.

One rule for every Markdown the war room writes — the pages (through `kamui.chores.plain`) and the
huddle minutes — so a name such as `![x](https://tracker)` or `<img onerror=…>` reads as typed.
"""

from __future__ import annotations

BLANK = "—"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~<>:$&\"'=")


def markdown_plain(text: object) -> str:
    """Every Markdown, HTML, directive (`:red[…]`) and math character backslash-escaped; None reads "—"."""
    if text is None:
        return BLANK
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))
