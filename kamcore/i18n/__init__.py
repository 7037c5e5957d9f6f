"""One translation table for every piece of UI text, English and Chinese (D12 vocabulary).

Each module in this package contributes a `TEXTS` dict of key -> (English, 中文);
they are merged into `TABLE`. Feature modules may repeat a shared key such as
`field.amount`; `CONFLICTS` lists keys repeated with different text, and a test
keeps it empty.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "中文"}


def _load() -> tuple[dict[str, tuple[str, str]], list[str]]:
    table: dict[str, tuple[str, str]] = {}
    conflicts: list[str] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        texts = importlib.import_module(f"{__name__}.{module.name}").TEXTS
        for key, pair in texts.items():
            if key in table and table[key] != pair:
                conflicts.append(f"{module.name}: {key}")
            table.setdefault(key, pair)
    return table, conflicts


TABLE, CONFLICTS = _load()


def t(key: str, lang: str = "en", **params: Any) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled; the key itself if unknown."""
    pair = TABLE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh" else pair[0]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has(key: str) -> bool:
    """Is there a translation for `key`?"""
    return key in TABLE


def field_label(field: str, lang: str = "en", entity: str | None = None) -> str:
    """A field's label; `field.<entity>.<field>` overrides `field.<field>` where one entity means
    something else by the same name (a criteria set's `number` is its version)."""
    specific = f"field.{entity}.{field}"
    return t(specific if entity and specific in TABLE else f"field.{field}", lang)


def choice_label(kind: str, value: Any, lang: str = "en") -> str:
    """The label of an enumerated value, e.g. choice_label('role', 'account_manager', 'zh') -> 客户经理."""
    key = f"{kind}.{value}"
    return t(key, lang) if key in TABLE else str(value)
