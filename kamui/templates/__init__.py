"""HTML printouts from Jinja2 templates in this folder, autoescaped: user text never needs escaping by hand.

A template receives plain text (already translated and formatted) and marks nothing safe itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    """The file `template` of this folder filled with `context` (every value escaped)."""
    return _ENV.get_template(template).render(**context)
