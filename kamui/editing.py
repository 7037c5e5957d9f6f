"""Editing widgets that follow the shared-editing rules.

- `VersionedForm`: a form over one row. It remembers the version it was loaded
  at; a save states that version, and a conflict keeps the user's input on
  screen with "re-apply" and "discard".
- `EditableTable`: `st.data_editor` over many rows; each edited row is saved on
  its own version, so edits to different rows all land and only the rows that
  lost a race are held back for re-apply.
- `show_error`, `flash`: domain errors and one-shot messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from kamcore import money
from kamcore.errors import ConflictError, KamError
from kamcore.text import plain
from kamui.context import lang, tr

Write = Callable[[int, dict[str, Any]], dict[str, Any]]


def show_error(exc: KamError) -> None:
    """Show a refused write as a clear message (a conflict names who changed what)."""
    message = exc.message(lang())
    if isinstance(exc, ConflictError):
        st.error(f"**{tr('conflict.title')}** — {plain(message)}")
    else:
        st.error(plain(message))


def flash(message: str, kind: str = "success") -> None:
    """Queue a message to show after the next rerun."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    """Show (once) the message queued by `flash`."""
    queued = st.session_state.pop("_flash", None)
    if queued:
        kind, message = queued
        getattr(st, kind)(message)


def attempt(write: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a kamcore write; show a refusal instead of raising. Returns (ok, result)."""
    try:
        return True, write()
    except KamError as exc:
        show_error(exc)
        return False, None


class FormFields:
    """Widget keys and initial values of a form's fields, from a dict of values (never from session state).

    Subclasses say where the values come from (`_values`) and which key prefix the widgets share (`_prefix`).
    """

    def _prefix(self) -> str:
        raise NotImplementedError

    def _values(self) -> dict[str, Any]:
        raise NotImplementedError

    def widget(self, name: str) -> str:
        """The session-state key of a field's widget."""
        return self._prefix() + name

    def value(self, name: str) -> Any:
        """The value the form was drawn with for `name`."""
        return self._values()[name]

    def field(self, name: str, cast: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """`key` and `value` of a text, number, date, checkbox or slider widget; `cast` (say `float` for a
        float number input over a whole-number column) applies to the drawn value and what it is compared with."""
        value = self.value(name)
        if cast is not None and value is not None:
            value = self._values()[name] = cast(value)
        return {"key": self.widget(name), "value": value}

    def choice(self, name: str, options: Sequence[Any]) -> dict[str, Any]:
        """`key` and `index` of a selectbox or radio over `options` (no choice when the value is not one)."""
        value = self.value(name)
        return {"key": self.widget(name), "index": list(options).index(value) if value in options else None}

    def many(self, name: str) -> dict[str, Any]:
        """`key` and `default` of a multiselect."""
        return {"key": self.widget(name), "default": list(self.value(name) or [])}

    def entered(self) -> dict[str, Any]:
        """What the drawn widgets hold now, by field (fields not drawn on this run are left out)."""
        state = st.session_state
        return {name: state[self.widget(name)] for name in self._values() if self.widget(name) in state}


class VersionedForm(FormFields):
    """Form state for one row, drawn from the stored row and saving only what the person changed.

    Every widget takes its initial value from the row (`field`, `choice`, `many` give the widget its
    key and `value`/`index`/`default`), never from session state: a form in a tab the browser had not
    drawn yet, or reached by a link, shows what is stored. Widget keys name the record and its version,
    so a teammate's save draws fresh widgets with the new values; while the person's submitted input is
    pending (a conflict, a refused save), the form stays on the version it was drawn at. A save sends
    only the fields whose value differs from what the form was drawn with.

    `money_fields` (field -> currency): amounts typed into text inputs (`kamui.amounts.amount_input`); they are
    drawn as typed text and read back with `kamcore.money.parse` when saved.
    """

    def __init__(self, key: str, row: dict[str, Any], fields: Sequence[str],
                 shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 money_fields: Mapping[str, str | None] | None = None) -> None:
        """`shown(row)`: optional stored-to-widget values (a date string as a date, a set as a list)."""
        self.key = key
        self.row = row
        self.fields = list(fields)
        self.money_fields = dict(money_fields or {})
        values = {name: money.as_typed(row[name], self.money_fields[name]) if name in self.money_fields
                  else row[name] for name in self.fields} | (shown(row) if shown else {})
        state = st.session_state
        drawn = state.get(f"{key}._base")
        reload = state.pop(f"{key}._reload", False)
        keep = (not reload and drawn is not None and drawn["id"] == row["id"]
                and (drawn["version"] == row["version"] or self._pending(drawn)))
        if not keep:
            drawn = {"id": row["id"], "version": row["version"], "values": values}
            state[f"{key}._base"] = drawn
            state.pop(f"{key}._conflict", None)
        self._drawn = drawn

    def _pending(self, drawn: dict[str, Any]) -> bool:
        """Does the person's input on the drawn version still wait (a conflict, or submitted changes)?"""
        state = st.session_state
        if state.get(f"{self.key}._conflict"):
            return True
        prefix = f"{self.key}.{drawn['id']}.{drawn['version']}."
        return any(prefix + name in state and state[prefix + name] != value
                   for name, value in drawn["values"].items())

    def _prefix(self) -> str:
        return f"{self.key}.{self._drawn['id']}.{self._drawn['version']}."

    def _values(self) -> dict[str, Any]:
        return self._drawn["values"]

    @property
    def base_version(self) -> int:
        return self._drawn["version"]

    def changes(self) -> dict[str, Any]:
        """Fields whose widget value differs from what the form was drawn with (the person's edits only; amounts
        parsed: a ValidationError names the field an amount cannot be read from)."""
        changed = {name: value for name, value in self.entered().items() if value != self.value(name)}
        return {name: money.parse(value, name, lang(), currency=self.money_fields[name]) if name in self.money_fields
                else value for name, value in changed.items()}

    def stale_notice(self) -> None:
        """Tell the user when the row moved on since the form was loaded (before they save)."""
        if self.row["version"] != self.base_version and not st.session_state.get(f"{self.key}._conflict"):
            st.info(tr("form.stale", version=self.row["version"]))

    def save(self, write: Write, success: str) -> None:
        """Save the changed fields on the loaded version; on conflict keep them for re-apply."""
        try:
            changes = self.changes()
        except KamError as exc:
            show_error(exc)
            return
        if not changes:
            st.info(tr("account.unchanged"))
            return
        try:
            write(self.base_version, changes)
        except ConflictError as exc:
            st.session_state[f"{self.key}._conflict"] = {"message": exc.message(lang()), "changes": changes}
            st.rerun()  # the conflict panel sits above the form
        except KamError as exc:
            show_error(exc)
        else:
            st.session_state[f"{self.key}._reload"] = True
            flash(success)
            st.rerun()

    def conflict_panel(self, write: Write, success: str) -> None:
        """While a conflict is pending: the message, the user's values, re-apply and discard."""
        pending = st.session_state.get(f"{self.key}._conflict")
        if not pending:
            return
        st.error(f"**{tr('conflict.title')}** — {plain(pending['message'])}")
        st.caption(tr("conflict.yours"))
        st.dataframe(
            pd.DataFrame(
                [{tr("col.field"): tr(f"field.{k}"),
                  tr("conflict.your_values"): money.fmt(v, self.money_fields[k], lang()) if k in self.money_fields
                  else str(v)}
                 for k, v in pending["changes"].items()]
            ),
            hide_index=True,
        )
        left, right = st.columns(2)
        if left.button(tr("conflict.reapply"), key=f"{self.key}._reapply", type="primary"):
            ok, _ = attempt(lambda: write(self.row["version"], pending["changes"]))
            if ok:
                st.session_state[f"{self.key}._reload"] = True
                flash(success)
                st.rerun()
        if right.button(tr("conflict.discard"), key=f"{self.key}._discard"):
            st.session_state[f"{self.key}._reload"] = True
            st.rerun()


class NewForm(FormFields):
    """A form that adds a row: drawn from `defaults`, empty again after a successful add, and refusing the
    same add twice in a row (a second click, or the same values typed again) with a message saying so."""

    def __init__(self, key: str, defaults: dict[str, Any]) -> None:
        self.key = key
        self.defaults = dict(defaults)
        st.session_state.setdefault(f"{key}._nonce", 0)

    def _prefix(self) -> str:
        return f"{self.key}.{st.session_state[f'{self.key}._nonce']}."

    def _values(self) -> dict[str, Any]:
        return self.defaults

    def add(self, write: Callable[[dict[str, Any]], Any], success: str | Callable[[Any], str]) -> Any:
        """Run `write(values)`; on success empty the form, flash `success` (or `success(result)`) and rerun.
        A refusal keeps the input."""
        values = self.entered()
        state = st.session_state
        if values == state.get(f"{self.key}._last"):
            st.warning(tr("form.same_add"))
            return None
        ok, result = attempt(lambda: write(values))
        if ok:
            state[f"{self.key}._last"] = values
            state[f"{self.key}._nonce"] += 1
            flash(success(result) if callable(success) else success)
            st.rerun()
        return result


class EditableTable:
    """A data editor whose rows are saved one by one, each on the version it was shown at.

    While the user has unsaved edits, the rows they are editing are held in session state:
    `st.data_editor` addresses edits by row position, and each row's version must be the one
    the user saw, not a newer one read on this rerun (that would overwrite someone else's save
    without a conflict). With no edits pending, the table always shows the latest rows.
    """

    def __init__(self, key: str, frame: pd.DataFrame, label: Callable[[pd.Series], str],
                 blanks: dict[str, Any] | None = None) -> None:
        """`blanks`: optional selectbox columns whose empty value is shown as a stand-in option (say 0 for
        "whole account"), so the dropdown offers the empty choice with a label; a save writes it as None."""
        self.key = key
        self.label = label
        self.blanks = dict(blanks or {})
        self.nonce_key = f"{key}._nonce"
        st.session_state.setdefault(self.nonce_key, 0)
        latest = frame.reset_index(drop=True)
        if self.blanks:
            latest = latest.fillna({column: stand_in for column, stand_in in self.blanks.items()})
        slot = f"{key}._shown"
        held = st.session_state.get(slot)
        nonce = st.session_state[self.nonce_key]
        if held is not None and held[0] == nonce and _has_edits(st.session_state.get(self.editor_key)):
            self.frame = held[1]
            self.moved_on = _row_versions(held[1]) != _row_versions(latest)
        else:
            st.session_state[slot] = (nonce, latest)
            self.frame = latest
            self.moved_on = False
        self._reload_drawn = False

    @property
    def editor_key(self) -> str:
        return f"{self.key}.editor.{st.session_state[self.nonce_key]}"

    def render(self, **editor_kwargs: Any) -> pd.DataFrame:
        """Draw the editor (hide `id` and `version` by passing column_order).

        An empty cell reads "—" (Streamlit's default placeholder is the word "None", drawn on the canvas),
        also in an optional selectbox column such as a goal's product line."""
        if self.moved_on:
            st.info(tr("table.moved_on"))
            self.reload_button()
        editor_kwargs.setdefault("placeholder", tr("table.blank"))
        return st.data_editor(self.frame, key=self.editor_key, **editor_kwargs)

    def reload_button(self) -> None:
        """Drop unsaved edits and show the latest saved rows (drawn once per run)."""
        if self._reload_drawn:
            return
        self._reload_drawn = True
        if st.button(tr("table.reload"), key=f"{self.key}._reload_btn"):
            st.session_state[self.nonce_key] += 1
            st.session_state[f"{self.key}._refused"] = []
            st.rerun()

    def save(
        self,
        update: Callable[[int, int, dict[str, Any]], Any],
        create: Callable[[dict[str, Any]], Any] | None = None,
        delete: Callable[[int, int], Any] | None = None,
    ) -> None:
        """Apply every edited, added and deleted row; hold back the ones that were refused."""
        edits = st.session_state.get(self.editor_key) or {}
        if not _has_edits(edits):  # say so, and keep the editor as it is (a fresh one would drop a late edit)
            st.info(tr("table.nothing"))
            return
        refused: list[dict[str, Any]] = []
        saved = 0
        for index, changes in (edits.get("edited_rows") or {}).items():
            row = self.frame.iloc[int(index)]
            saved += self._one(refused, self.label(row), changes,
                               lambda r=row, c=changes: update(int(r["id"]), int(r["version"]), self._values(c)),
                               row_id=int(row["id"]))
        for values in edits.get("added_rows") or []:
            if create is not None and any(v not in (None, "") for v in values.values()):
                saved += self._one(refused, tr("table.new_row"), values, lambda v=values: create(self._values(v)))
        for index in edits.get("deleted_rows") or []:
            if delete is not None:
                row = self.frame.iloc[int(index)]
                saved += self._one(refused, self.label(row), {}, lambda r=row: delete(int(r["id"]), int(r["version"])))
        st.session_state[f"{self.key}._refused"] = refused
        st.session_state[self.nonce_key] += 1  # fresh editor over the fresh data
        if saved:
            flash(tr("table.saved", count=saved))
        st.rerun()

    def _values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Edited values as kamcore takes them: plain Python, a blank's stand-in back to None."""
        plain = _plain(values)
        return {name: None if name in self.blanks and value == self.blanks[name] else value
                for name, value in plain.items()}

    def _one(self, refused: list[dict[str, Any]], label: str, values: dict[str, Any], write: Callable[[], Any],
             row_id: int | None = None) -> int:
        try:
            write()
        except KamError as exc:
            refused.append({"label": label, "message": exc.message(lang()), "values": self._values(values),
                            "conflict": isinstance(exc, ConflictError), "row_id": row_id})
            return 0
        return 1

    def refused_panel(self, reapply: Callable[[int, dict[str, Any]], Any] | None = None) -> None:
        """Rows that were not saved, with the reason and the user's values to re-apply or discard.

        `reapply(row_id, changes)` writes the user's values on top of the row's latest version.
        """
        state_key = f"{self.key}._refused"
        refused = st.session_state.get(state_key) or []
        if not refused:
            return
        st.error(tr("table.refused", count=len(refused)))
        for number, item in enumerate(refused):
            st.markdown(f"**{plain(item['label'])}** — {plain(item['message'])}")
            if item["values"]:
                st.caption(tr("conflict.your_values") + ": " +
                           ", ".join(f"{tr('field.' + k)} = {plain(v)}" for k, v in item["values"].items()))
            if reapply and item["conflict"] and item["row_id"] is not None and st.button(
                tr("conflict.reapply"), key=f"{self.key}._reapply.{number}"
            ):
                ok, _ = attempt(lambda i=item: reapply(i["row_id"], i["values"]))
                if ok:
                    st.session_state[state_key] = [r for r in refused if r is not item]
                    flash(tr("table.saved", count=1))
                    st.rerun()
        if st.button(tr("conflict.discard"), key=f"{self.key}._discard_refused"):
            st.session_state[f"{self.key}._refused"] = []
            st.rerun()


def _has_edits(state: Any) -> bool:
    """Does a data editor's state hold any edited, added or deleted row?"""
    return bool(state) and any(state.get(part) for part in ("edited_rows", "added_rows", "deleted_rows"))


def _row_versions(frame: pd.DataFrame) -> list[tuple[Any, Any]]:
    """The (id, version) of every row, to tell whether a table moved on."""
    if "id" not in frame or "version" not in frame:
        return []
    return list(zip(frame["id"].tolist(), frame["version"].tolist(), strict=True))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Data-editor values as plain Python (NaN/NaT become None)."""
    out = {}
    for name, value in values.items():
        if value is not None and not isinstance(value, (list, dict)) and pd.isna(value):
            value = None
        out[name] = value
    return out
