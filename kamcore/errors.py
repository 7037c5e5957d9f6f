"""Domain errors: every refusal a user can meet, each with a message they can act on.

Pages catch `KamError` and show `error.message(lang)`; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kamcore import clock
from kamcore.i18n import field_label, t
from kamcore.money_format import fmt


class KamError(Exception):
    """Base class: a refusal that changed nothing and can be explained to the user."""

    key = "err.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}")

    def message(self, lang: str = "en") -> str:
        """The user-facing sentence in the given language."""
        return t(self.key, lang, **{k: _display(v, lang) for k, v in self.params.items()})


def _display(value: Any, lang: str) -> Any:
    return t(str(value), lang) if isinstance(value, Label) else value


class Label(str):
    """A message parameter that is itself an i18n key, translated when shown."""


@dataclass
class FieldProblem:
    """One invalid field: which one, and why (an i18n key plus its parameters)."""

    field: str
    reason_key: str
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None
    entity: str | None = None

    def message(self, lang: str = "en") -> str:
        """The problem as one sentence: the field's label and the reason, in `lang`."""
        reason = t(self.reason_key, lang, **self.params)
        name = field_label(self.field, lang, self.entity)
        text = t("err.field_reason", lang, field=name, reason=reason)
        if self.row is not None:
            text = t("err.row_prefix", lang, row=self.row) + text
        return text


class ValidationError(KamError):
    """Input that breaks a rule; names every bad field and why."""

    key = "err.validation"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__(self.key, count=len(problems))

    @classmethod
    def single(cls, field_name: str, reason_key: str, **params: Any) -> ValidationError:
        """A validation error about one field."""
        return cls([FieldProblem(field_name, reason_key, params)])

    def message(self, lang: str = "en") -> str:
        """Every problem of the refused input, one sentence each, in `lang`."""
        return "; ".join(p.message(lang) for p in self.problems)

    def at_row(self, row: int) -> list[FieldProblem]:
        """The problems, each marked with the file row it was found in (imports name rows as a spreadsheet does)."""
        for problem in self.problems:
            problem.row = row
        return self.problems


class NotFoundError(KamError):
    """The thing asked for does not exist (or is not visible to this user)."""

    key = "err.not_found"


class PermissionDenied(KamError):
    """The acting user may not do this."""

    key = "err.permission"


@dataclass
class ChangeByOther:
    """One field someone else changed after the version our write was based on."""

    actor: str
    at: str
    field: str
    old: Any
    new: Any
    currency: str | None = None  # set when the field is money: old and new are shown with `money.fmt`


class ConflictError(KamError):
    """A write based on a stale version: names who changed what since then."""

    key = "err.conflict"

    def __init__(
        self,
        entity: str,
        entity_id: int,
        base_version: int,
        current_version: int,
        changes: list[ChangeByOther],
        current: dict[str, Any] | None = None,
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.base_version = base_version
        self.current_version = current_version
        self.changes = changes
        self.current = current or {}
        super().__init__(self.key, entity=entity, entity_id=entity_id)

    def message(self, lang: str = "en") -> str:
        """Who changed which field from what to what since the version the user saw, in `lang`."""
        if not self.changes:
            return t("err.conflict_deleted", lang, entity=t(f"entity.{self.entity}", lang))
        parts = [
            t(
                "err.conflict_change",
                lang,
                actor=c.actor,
                field=field_label(c.field, lang, self.entity),
                old=_value(c.old, c.currency, lang),
                new=_value(c.new, c.currency, lang),
                at=clock.stamp(c.at, lang),
            )
            for c in self.changes
        ]
        return t("err.conflict", lang, entity=t(f"entity.{self.entity}", lang)) + " " + "; ".join(parts)


def _value(value: Any, currency: str | None, lang: str) -> str:
    """A changed value as the conflict message shows it: money with its currency and unit, the rest short."""
    if currency and isinstance(value, (int, float)) and not isinstance(value, bool):
        return fmt(value, currency, lang)
    return _short(value)


def _short(value: Any, limit: int = 40) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
