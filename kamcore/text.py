"""User text placed inside Markdown: shown literally, never as a link, an image, HTML or a heading.

`plain` is the one way to put user text on screen: every page (through `kamui.chores`, which only passes it
on), widget label, tab or expander label, `format_func` and the huddle minutes use it, so a name such as
`![x](https://tracker)`, `**bold**`, `{{7*7}}` or `<img onerror=…>` reads as typed and makes the browser fetch
nothing. `tests/core/test_house.py` checks that no page puts text it does not own into Markdown without it.
"""

from __future__ import annotations

BLANK = "—"
MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|~<>:$&\"'="
_ESCAPES = str.maketrans({ch: "\\" + ch for ch in MARKDOWN_SPECIAL})


def plain(text: object) -> str:
    """Every Markdown, HTML, directive (`:red[…]`) and math character backslash-escaped; None reads "—".
    One `str.translate` pass (about a microsecond for a name), cheap enough for every label of every page."""
    if text is None:
        return BLANK
    return str(text).translate(_ESCAPES)
