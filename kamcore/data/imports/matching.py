"""Near-match suggestions for the values a file uses ("GTXPro" ~ "GTX Pro")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def norm(text: str) -> str:
    """Case, spacing and punctuation folded: what two spellings of one name share."""
    return re.sub(r"[\s\-_./·]+", "", str(text)).casefold()


def suggest(value: str, choices: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The choice that `value` most likely means: same letters ignoring case/spaces, else difflib's closest."""
    options = list(choices)
    folded = {norm(c): c for c in options}
    if norm(value) in folded:
        return folded[norm(value)]
    close = difflib.get_close_matches(norm(value), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None
