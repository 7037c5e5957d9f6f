"""The one way to change a row: validated, permission-checked, versioned and audited.

Every editable table has `id`, `version`, `created_at`, `updated_at`,
`updated_by`. A write names the version it was based on; if the row has moved
on, `ConflictError` lists who changed which fields since. The change and its
audit rows commit in one transaction, or not at all.

Entity modules (accounts, team, goals, …) describe themselves with an `Entity`
and call `create` / `update` / `delete`; pages never write SQL.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError
from sqlite_utils import Database

from kamcore import clock, permissions, store
from kamcore.errors import ChangeByOther, ConflictError, FieldProblem, Label, NotFoundError, ValidationError
from kamcore.identity import User

Action = Literal["create", "update", "delete"]
Authorizer = Callable[[Database, "User", "int | None", Action], None]
RowAuthorizer = Callable[[Database, "User", dict[str, Any], Action, frozenset[str]], None]
BOOKKEEPING = ("id", "version", "created_at", "updated_at", "updated_by")
HIDDEN = "[hidden]"
REDACTED = "[redacted]"
REGISTRY: dict[str, Entity] = {}
SQLITE_INT_MIN, SQLITE_INT_MAX = -(2**63), 2**63 - 1  # what an INTEGER column can hold


class Record(BaseModel):
    """Base for entity input models: one rule for every field of every entity.

    - text is trimmed; a blank value of an optional field is None (a form's empty box means
      "not given", never an empty string for one model and None for another);
    - a vertical tab or form feed (what a paste from Excel brings) becomes a line break; any
      other control character (NUL, escape…) is refused naming the field, because exports and
      documents cannot carry them; zero-width characters around a value are dropped, so a name
      made only of them is empty;
    - unknown fields are refused; a whole number SQLite cannot store is a validation error, and so is a
      number that is not finite (NaN, infinity) or a value nested deeper than `MAX_NESTING`;
    - every text field is bounded: by its own `max_length`, else by the default of its kind
      (`text_limit`: names 200, titles 300, moments 40, JSON snapshots 500,000, any other text 20,000);
      names and titles refuse text-direction overrides (U+202A–U+202E, U+2066–U+2069), which make a name
      read differently from what it is.
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        """Runs before every field validator (an entity's own `mode="before"` parsers of roles, JSON
        attributes or moments included, which a field-level cleaner would only see after them), and
        reaches text inside lists and dicts too."""
        if not isinstance(data, dict):
            return data
        return {name: _clean_value(cls, name, value) for name, value in data.items()}

    @field_validator("*", mode="after")
    @classmethod
    def _fits_sqlite(cls, value: Any, info: ValidationInfo) -> Any:
        """A whole number SQLite cannot store is a validation error, not an OverflowError (found by fuzzing);
        text longer than its field's limit, or a name with a text-direction override, is refused."""
        if isinstance(value, int) and not isinstance(value, bool) and not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
            raise PydanticCustomError("reason.number_too_large", "number too large")
        if isinstance(value, float) and not math.isfinite(value):  # "nan" and "inf" parse as floats
            raise PydanticCustomError("reason.not_finite", "not finite")
        if isinstance(value, str):
            limit, short = _limit_of(cls, info.field_name or "")
            if len(value) > limit:
                raise PydanticCustomError("reason.too_long_text", "too long", {"limit": limit})
            if short and _BIDI.search(value):
                raise PydanticCustomError("reason.bidi_control", "text-direction control")
        return value


NAME_LIMIT, TITLE_LIMIT, MOMENT_LIMIT, TEXT_LIMIT, JSON_LIMIT = 200, 300, 40, 20_000, 500_000
NAME_FIELDS = frozenset({"name", "display_name", "username", "code", "currency", "to_currency",
                         "reporting_currency"})
TITLE_FIELDS = frozenset({"title", "label", "metric", "action"})
JSON_FIELDS = frozenset({"snapshot", "definition", "conditions", "contributions"})
MAX_NESTING = 64  # lists and objects inside one value (an export is at most five levels deep)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_LIMITS: dict[tuple[type, str], tuple[int, bool]] = {}


def text_limit(field_name: str) -> int:
    """The default longest text of a field of this kind (when the model gives the field no `max_length`)."""
    if field_name in JSON_FIELDS:
        return JSON_LIMIT
    if field_name.endswith("_at") or field_name == "since":
        return MOMENT_LIMIT
    if field_name in NAME_FIELDS or field_name.endswith("_name"):
        return NAME_LIMIT
    if field_name in TITLE_FIELDS:
        return TITLE_LIMIT
    return TEXT_LIMIT


def _limit_of(model: type[BaseModel], field_name: str) -> tuple[int, bool]:
    """(longest text, is it a name or title) of one field of one model, worked out once."""
    key = (model, field_name)
    if key not in _LIMITS:
        found = model.model_fields.get(field_name)
        own = [m.max_length for m in (found.metadata if found else ()) if isinstance(m, MaxLen)]
        kind = text_limit(field_name)
        _LIMITS[key] = (min(own) if own else kind, kind in (NAME_LIMIT, TITLE_LIMIT))
    return _LIMITS[key]


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _clean_value(model: type[BaseModel], name: Any, value: Any, depth: int = 0) -> Any:
    """One input value as `Record` describes: line breaks for a paste's vertical tab or form feed, a
    control character refused naming the field, zero-width edges dropped, blank optional text None.
    Text inside lists and dicts (roles, imported attributes) is checked the same way, keys included;
    a value nested deeper than `MAX_NESTING`, or a number that is not finite, is refused naming the field."""
    if isinstance(value, dict | list | tuple) and depth >= MAX_NESTING:
        raise PydanticCustomError("reason.too_deep", "too deep", {"field": str(name), "depth": MAX_NESTING})
    if isinstance(value, dict):
        return {_clean_value(model, name, k, depth + 1): _clean_value(model, name, v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean_value(model, name, v, depth + 1) for v in value)
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("reason.not_finite", "not finite", {"field": str(name)})
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n").replace("\x0c", "\n")
    if _CONTROL.search(value):
        raise PydanticCustomError("reason.control_character", "control character", {"field": str(name)})
    if depth:
        return value
    value = value.strip(_ZERO_WIDTH + " \t\n")
    if value == "" and _accepts_none(model, str(name)):
        return None
    return value


def _accepts_none(model: type[BaseModel], name: str | None) -> bool:
    """Does the field accept None (so a blank means 'not given')?"""
    found = model.model_fields.get(name or "")
    return found is not None and type(None) in get_args(found.annotation)


@dataclass(frozen=True)
class Entity:
    """How one table takes part in versioned, audited editing."""

    name: str
    table: str
    model: type[Record]
    account_field: str | None = "account_id"
    hidden_fields: frozenset[str] = frozenset()
    private_fields: frozenset[str] = frozenset()
    workflow_fields: frozenset[str] = frozenset()  # changed only by their own use case, never restored
    authorize: Authorizer | None = None
    # who may touch THIS row (its author, its owner…): run on every create, update, delete, redact and
    # restore with the row as it is now (the new values on create) and the names of the fields an update
    # changes (empty on create and delete), after `authorize` and before any version is compared
    authorize_row: RowAuthorizer | None = None
    # which rows of this table an actor may read, as SQL on the table's `id` (e.g. other people's daily logs
    # are not for everyone who reads the account): `(where, params)`, or None for every row. History, "what
    # changed" and the export apply it, so a row hidden on one path is hidden on all.
    readable_rows: Callable[[Database, User], tuple[str, list[Any]] | None] | None = None
    extra_checks: tuple[Callable[[Database, dict[str, Any], int | None], None], ...] = field(default=())
    # money fields and where their currency is: "account" (the account's currency) or the name of the row's own
    # currency column ("currency"); History and conflict messages show them with `kamcore.money.fmt`
    money_fields: Mapping[str, str] = field(default_factory=dict)
    # when only some rows hold money (goals: the money metrics): the column and the values that make a row money
    money_rows: tuple[str, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        REGISTRY[self.name] = self

    def account_of(self, row: dict[str, Any]) -> int | None:
        """The account a row belongs to (None for company-wide rows)."""
        return None if self.account_field is None else row.get(self.account_field)


def validate(entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """Validate a full set of editable values; return them normalised or raise ValidationError."""
    try:
        model = entity.model.model_validate(values)
    except PydanticValidationError as exc:
        raise ValidationError([_problem(err, entity.name) for err in exc.errors()]) from None
    return model.model_dump(mode="json")


def _problem(err: Any, entity: str) -> FieldProblem:
    loc = [str(part) for part in err.get("loc", ()) if not isinstance(part, int)]
    field_name = loc[0] if loc else str((err.get("ctx") or {}).get("field", "record"))
    kind = err["type"]
    params = {k: v for k, v in (err.get("ctx") or {}).items() if k != "field"}
    if "error" in params:  # a plain ValueError from a validator
        params = {"detail": str(params["error"])}
    key = kind if kind.startswith("reason.") else f"reason.{kind}"
    return FieldProblem(field_name, key, params, entity=entity)


def get(db: Database, entity: Entity, row_id: int) -> dict[str, Any]:
    """One row by id, or NotFoundError."""
    if not _storable(row_id):
        raise NotFoundError("err.not_found_entity", entity=Label(f"entity.{entity.name}"), id=str(row_id)[:20])
    found = store.row(db, f"SELECT * FROM [{entity.table}] WHERE id = ?", [row_id])
    if found is None:
        raise NotFoundError("err.not_found_entity", entity=Label(f"entity.{entity.name}"), id=row_id)
    return found


def create(db: Database, actor: User, entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """Insert a validated row at version 1 and audit every field it sets."""
    clean = validate(entity, values)
    account_id = entity.account_of(clean)
    authorize(db, actor, entity, account_id, "create", row=clean)
    now = clock.now_iso()
    with store.transaction(db):
        for check in entity.extra_checks:
            check(db, clean, None)
        row = {"id": _next_id(db, entity), **clean, "version": 1, "created_at": now, "updated_at": now,
               "updated_by": actor.id}
        cols = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        try:
            cur = db.conn.execute(f"INSERT INTO [{entity.table}] ({cols}) VALUES ({marks})", list(row.values()))
        except sqlite3.IntegrityError as exc:
            raise _integrity_problem(exc) from None
        row_id = cur.lastrowid
        account_id = account_id if entity.account_field != "id" else row_id
        write_audit(
            db, actor, entity, row_id, account_id, "create", ((f, None, v) for f, v in clean.items()), 1
        )
        return get(db, entity, row_id)  # read before COMMIT: after it, another writer may already have changed it


def update(
    db: Database,
    actor: User,
    entity: Entity,
    row_id: int,
    base_version: int,
    changes: dict[str, Any],
    action: Literal["update", "restore"] = "update",
) -> dict[str, Any]:
    """Apply `changes` to a row last seen at `base_version`; refuse if someone wrote since."""
    unknown = [f for f in changes if f in BOOKKEEPING]
    if unknown:
        raise ValidationError.single(unknown[0], "reason.read_only")
    with store.transaction(db):
        current = _authorized_current(db, actor, entity, row_id, base_version, "update", changes)
        account_id = entity.account_of(current)
        editable = {f: current[f] for f in entity.model.model_fields if f in current}
        clean = validate(entity, {**editable, **changes})
        if entity.account_field and entity.account_field != "id" and clean.get(entity.account_field) != account_id:
            raise ValidationError.single(entity.account_field, "reason.read_only")
        diff = [(f, current.get(f), v) for f, v in clean.items() if current.get(f) != v]
        if not diff:
            return current
        for check in entity.extra_checks:
            check(db, clean, row_id)
        sets = ", ".join(f"[{f}] = ?" for f, _, _ in diff)
        params = [v for _, _, v in diff] + [clock.now_iso(), actor.id, row_id, base_version]
        try:
            cur = db.conn.execute(
                f"UPDATE [{entity.table}] SET {sets}, version = version + 1, updated_at = ?, updated_by = ? "
                "WHERE id = ? AND version = ?",
                params,
            )
        except sqlite3.IntegrityError as exc:
            raise _integrity_problem(exc) from None
        if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; kept as the last line of defence
            raise ConflictError(entity.name, row_id, base_version, current["version"], [])
        write_audit(db, actor, entity, row_id, account_id, action, diff, base_version + 1)
        return get(db, entity, row_id)  # the row as this write left it, not as a later writer did


def delete(db: Database, actor: User, entity: Entity, row_id: int, base_version: int) -> None:
    """Delete a row last seen at `base_version`, auditing every value it held."""
    with store.transaction(db):
        current = _authorized_current(db, actor, entity, row_id, base_version, "delete")
        account_id = entity.account_of(current)
        _delete_dependents(db, actor, entity, row_id)
        try:
            db.conn.execute(f"DELETE FROM [{entity.table}] WHERE id = ?", [row_id])
        except sqlite3.IntegrityError as exc:
            raise _integrity_problem(exc) from None
        values = ((f, current[f], None) for f in entity.model.model_fields if f in current)
        write_audit(db, actor, entity, row_id, account_id, "delete", values, base_version + 1)
        if entity.private_fields:
            _scrub_audit(db, entity, row_id, entity.private_fields)


def _delete_dependents(db: Database, actor: User, entity: Entity, row_id: int) -> None:
    """Delete, one audited row at a time, the rows that ON DELETE CASCADE would remove silently."""
    for child in all_entities():
        for fk in db.execute(f"PRAGMA foreign_key_list([{child.table}])").fetchall():
            # (id, seq, table, from, to, on_update, on_delete, match)
            if fk[2] == entity.table and fk[6] == "CASCADE":
                for child_id, version in db.execute(
                    f"SELECT id, version FROM [{child.table}] WHERE [{fk[3]}] = ?", [row_id]
                ).fetchall():
                    delete(db, actor, child, child_id, version)


def entity(name: str) -> Entity:
    """The Entity registered under `name`, for code that must not import the module defining it."""
    if name not in REGISTRY:
        all_entities()
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFoundError("err.not_found_entity", entity=name, id="?") from None


def all_entities() -> list[Entity]:
    """Every Entity of kamcore. Imports every kamcore module once (feature packages included), so no
    module can be missed; `tests/core/test_entities.py` checks every versioned table has one."""
    if not _all_imported:
        import kamcore

        for module in pkgutil.walk_packages(kamcore.__path__, "kamcore."):
            if not module.name.startswith(("kamcore.demo", "kamcore.__main__")):
                importlib.import_module(module.name)
        _all_imported.append(True)
    return list(REGISTRY.values())


_all_imported: list[bool] = []


def redact(
    db: Database, actor: User, entity: Entity, row_id: int, base_version: int, fields: Iterable[str]
) -> dict[str, Any]:
    """Erase personal fields on request: the row's values become empty and no copy stays in the audit log."""
    names = sorted(set(fields))
    not_private = [f for f in names if f not in entity.private_fields]
    if not_private:
        raise ValidationError.single(not_private[0], "reason.not_private")
    with store.transaction(db):
        current = _authorized_current(db, actor, entity, row_id, base_version, "update",
                                       dict.fromkeys(names))
        account_id = entity.account_of(current)
        sets = ", ".join(f"[{f}] = NULL" for f in names)
        db.conn.execute(
            f"UPDATE [{entity.table}] SET {sets}, version = version + 1, updated_at = ?, updated_by = ? WHERE id = ?",
            [clock.now_iso(), actor.id, row_id],
        )
        _scrub_audit(db, entity, row_id, names)
        write_audit(db, actor, entity, row_id, account_id, "redact",
                    ((f, REDACTED, None) for f in names), base_version + 1)
        return get(db, entity, row_id)


def _scrub_audit(db: Database, entity: Entity, row_id: int, fields: Iterable[str]) -> None:
    """Replace every audited value of these fields with a marker (who and when stay; the data goes)."""
    names = list(fields)
    marks = ",".join("?" for _ in names)
    db.conn.execute(
        f"""UPDATE audit_log SET
               old_value = CASE WHEN old_value IS NULL THEN NULL ELSE ? END,
               new_value = CASE WHEN new_value IS NULL THEN NULL ELSE ? END
            WHERE entity = ? AND entity_id = ? AND field IN ({marks})""",
        [REDACTED, REDACTED, entity.name, row_id, *names],
    )


def write_audit(
    db: Database,
    actor: User,
    entity: Entity,
    row_id: int,
    account_id: int | None,
    action: str,
    changes: Iterable[tuple[str, Any, Any]],
    version: int,
) -> None:
    """Append one audit row per changed field (call inside the change's transaction)."""
    db.conn.executemany(_AUDIT_INSERT, audit_rows(actor, entity, row_id, account_id, action, changes, version))


_AUDIT_INSERT = ("INSERT INTO audit_log (at, actor_id, account_id, entity, entity_id, action, field, old_value, "
                 "new_value, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def audit_rows(actor: User, entity: Entity, row_id: int, account_id: int | None, action: str,
               changes: Iterable[tuple[str, Any, Any]], version: int, now: str | None = None) -> list[tuple[Any, ...]]:
    """The audit rows `write_audit` appends (one per changed field), for a caller that writes many at once."""
    at = now or clock.now_iso()
    return [
        (
            at,
            actor.id,
            account_id,
            entity.name,
            row_id,
            action,
            f,
            HIDDEN if f in entity.hidden_fields and old is not None else encode(old),
            HIDDEN if f in entity.hidden_fields and new is not None else encode(new),
            version,
        )
        for f, old, new in changes
        if not (action in ("create", "delete") and old is None and new is None)
    ]


def encode(value: Any) -> str | None:
    """Audit values are JSON text so that replay restores their types."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def decode(text: str | None) -> Any:
    """Inverse of `encode`; the hidden marker stays as it is."""
    if text is None or text in (HIDDEN, REDACTED):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _storable(number: Any) -> bool:
    return isinstance(number, int) and not isinstance(number, bool) and SQLITE_INT_MIN <= number <= SQLITE_INT_MAX


def _next_id(db: Database, entity: Entity) -> int:
    """A fresh id never used before for this entity, even by a deleted row (see `reserve_ids`)."""
    return reserve_ids(db, entity, 1)


def reserve_ids(db: Database, entity: Entity, count: int) -> int:
    """Hand out `count` consecutive ids never used before for this entity; returns the first.

    SQLite's INTEGER PRIMARY KEY reuses the highest id after it is deleted, and the audit log would then
    mix two records. `_record_ids` (m024) remembers the highest id ever handed out, like AUTOINCREMENT's
    sqlite_sequence; the table's and the audit log's highest ids cover rows written before it existed.
    Call inside the write's transaction."""
    in_table = db.execute(f"SELECT max(id) FROM [{entity.table}]").fetchone()[0] or 0
    in_audit = db.execute("SELECT max(entity_id) FROM audit_log WHERE entity = ?", [entity.name]).fetchone()[0] or 0
    counted = db.execute("SELECT high FROM _record_ids WHERE entity = ?", [entity.name]).fetchone()
    first = max(in_table, in_audit, counted[0] if counted else 0) + 1
    db.conn.execute("INSERT INTO _record_ids (entity, high) VALUES (?, ?) "
                    "ON CONFLICT (entity) DO UPDATE SET high = excluded.high", [entity.name, first + count - 1])
    return first


BATCH_ROWS = 200  # rows per transaction of `create_many`: a save or a sign-in waits for one batch at most
AfterBatch = Callable[[Database, list[tuple[int, dict[str, Any]]]], None]


def create_many(
    db: Database,
    actor: User,
    entity: Entity,
    rows: list[dict[str, Any]],
    *,
    after_batch: AfterBatch | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_rows: int = BATCH_ROWS,
    undo: list[tuple[Entity, list[int]]] | None = None,
    ids: list[int] | None = None,
    created_at: list[str | None] | None = None,
) -> list[int]:
    """Insert many rows at version 1, each validated by the entity's model, permission-checked (once per
    account), checked by the entity's extra checks and audited field by field: `create` for many rows.
    Returns the new ids, in the order of `rows`. Ids come from `reserve_ids`: never one a deleted row had.

    The writer lock is held per batch of `batch_rows` rows, so a teammate's save or a sign-in in this
    process waits for one batch at most. All or nothing all the same: every row is validated and every
    account's permission checked before the first batch; if a batch fails, the rows of the earlier
    batches are deleted again with their audit rows (`undo_created`) and the error is raised. `after_batch`
    runs inside each batch's transaction with (id, clean values) of its rows (side tables such as stage
    history). `undo` collects what this call created when the caller strings several calls into one
    import (the caller then undoes all of them on a later failure).

    `ids` (a restore or an import of this war room's own export): the rows keep these ids, which must be
    free in the table; the id counter moves past them. `created_at`: their creation times as the file has
    them (None: now).

    Called inside an open transaction, everything runs in that one transaction (nothing is batched)."""
    problems: list[FieldProblem] = []
    clean_rows: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=1):
        try:
            clean_rows.append(validate(entity, values))
        except ValidationError as exc:
            problems += exc.at_row(number)
    if problems:
        raise ValidationError(problems)
    checked: set[Any] = set()
    for clean in clean_rows:
        account_id = entity.account_of(clean) if entity.account_field != "id" else None
        if entity.authorize_row is not None:
            authorize(db, actor, entity, account_id, "create", row=clean)
        elif account_id not in checked:
            authorize(db, actor, entity, account_id, "create")
            checked.add(account_id)
    created: list[int] = []
    mine: tuple[Entity, list[int]] = (entity, created)
    if undo is not None:
        undo.append(mine)
    try:
        for start in range(0, len(clean_rows), max(1, batch_rows)):
            batch = clean_rows[start:start + batch_rows]
            given = None if ids is None else ids[start:start + batch_rows]
            when = None if created_at is None else created_at[start:start + batch_rows]
            with store.transaction(db):
                created += _insert_batch(db, actor, entity, batch, after_batch, given, when)
            if progress is not None:
                progress(len(created), len(clean_rows))
    except BaseException:
        if undo is None and not db.conn.in_transaction:
            undo_created(db, [mine])
        raise
    return created


def _insert_batch(db: Database, actor: User, entity: Entity, batch: list[dict[str, Any]],
                  after_batch: AfterBatch | None, given: list[int] | None = None,
                  when: list[str | None] | None = None) -> list[int]:
    now = clock.now_iso()
    if given is None:
        first = reserve_ids(db, entity, len(batch))
        ids = list(range(first, first + len(batch)))
    else:
        ids = list(given)
        db.conn.execute("INSERT INTO _record_ids (entity, high) VALUES (?, ?) ON CONFLICT (entity) DO UPDATE SET "
                        "high = max(high, excluded.high)", [entity.name, max(ids)])
    rows, audit = [], []
    for index, (row_id, clean) in enumerate(zip(ids, batch, strict=True)):
        for check in entity.extra_checks:
            check(db, clean, None)
        created = (when[index] if when else None) or now
        rows.append({"id": row_id, **clean, "version": 1, "created_at": created, "updated_at": now,
                     "updated_by": actor.id})
        account_id = row_id if entity.account_field == "id" else entity.account_of(clean)
        audit += audit_rows(actor, entity, row_id, account_id, "create", ((f, None, v) for f, v in clean.items()), 1,
                            now)
    columns = list(rows[0])
    try:
        db.conn.executemany(f"INSERT INTO [{entity.table}] ({', '.join(f'[{c}]' for c in columns)}) "
                            f"VALUES ({', '.join('?' for _ in columns)})", [[r[c] for c in columns] for r in rows])
    except sqlite3.IntegrityError as exc:
        raise _integrity_problem(exc) from None
    db.conn.executemany(_AUDIT_INSERT, audit)
    if after_batch is not None:
        after_batch(db, list(zip(ids, batch, strict=True)))
    return ids


def undo_created(db: Database, created: list[tuple[Entity, list[int]]]) -> None:
    """Take back rows `create_many` wrote (an import that failed in a later batch): the rows, their
    dependants (ON DELETE CASCADE side tables such as stage history) and their audit rows go, in one
    transaction, newest first; the ids stay used (`_record_ids`), so none is handed out again."""
    with store.transaction(db):
        for entity, ids in reversed(created):
            for start in range(0, len(ids), 900):
                chunk = ids[start:start + 900]
                marks = ",".join("?" for _ in chunk)
                db.conn.execute(f"DELETE FROM [{entity.table}] WHERE id IN ({marks})", chunk)
                db.conn.execute(f"DELETE FROM audit_log WHERE entity = ? AND entity_id IN ({marks})",
                                [entity.name, *chunk])


def _authorized_current(db: Database, actor: User, entity: Entity, row_id: int, base_version: int, action: Action,
                        changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row as it is now, once `actor` is known to may `action` it — only then compared with `base_version`.

    Who may is decided first: someone who may not write the row gets the permission error (or "not found"),
    never a conflict that would list its changes and carry its current values."""
    if not _storable(base_version):
        raise ValidationError.single("version", "reason.number_too_large")
    found = store.row(db, f"SELECT * FROM [{entity.table}] WHERE id = ?", [row_id]) if _storable(row_id) else None
    if found is None:
        last = _last_audited(db, entity, row_id)
        if last is None or last["action"] != "delete":
            get(db, entity, row_id)  # raises NotFoundError
        authorize(db, actor, entity, last["account_id"], action)
        raise ConflictError(entity.name, row_id, base_version, -1, changes_since(db, entity, row_id, base_version))
    changed = frozenset(f for f, v in (changes or {}).items() if found.get(f) != v)
    authorize(db, actor, entity, entity.account_of(found), action, row=found, changed=changed)
    if found["version"] != base_version:
        raise ConflictError(entity.name, row_id, base_version, found["version"],
                            changes_since(db, entity, row_id, base_version), found)
    return found


def _last_audited(db: Database, entity: Entity, row_id: int) -> dict[str, Any] | None:
    """The row's latest audit entry (its action and account), or None when it never existed."""
    return store.row(db, "SELECT action, account_id FROM audit_log WHERE entity = ? AND entity_id = ? "
                         "ORDER BY id DESC LIMIT 1", [entity.name, row_id])


def changes_since(db: Database, entity: Entity, row_id: int, base_version: int) -> list[ChangeByOther]:
    """Field changes made to a row after `base_version`, oldest first, with who made them."""
    rows = db.execute(
        """SELECT coalesce(u.display_name, 'system'), a.at, a.field, a.old_value, a.new_value, a.action
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
           WHERE a.entity = ? AND a.entity_id = ? AND a.version > ?
           ORDER BY a.id""",
        [entity.name, row_id, base_version],
    ).fetchall()
    out: list[ChangeByOther] = []
    deleted = False
    current = store.row(db, f"SELECT * FROM [{entity.table}] WHERE id = ?", [row_id]) if entity.money_fields else None
    for actor, at, fld, old, new, action in rows:
        if action == "delete":
            if not deleted:
                out.append(ChangeByOther(actor, at, "__deleted__", None, None))
                deleted = True
            continue
        currency = money_currency(db, entity, fld, current, entity.account_of(current) if current else None)
        out.append(ChangeByOther(actor, at, fld, decode(old), decode(new), currency))
    return out


def money_currency(db: Database, entity: Entity, field_name: str | None, row: dict[str, Any] | None,
                   account_id: int | None) -> str | None:
    """The currency a money field of `entity` is in for this row (None when the field holds no money here).

    `row` is the record as it is now (None once deleted: then the account's currency, if that is the field's)."""
    how = entity.money_fields.get(field_name or "")
    if how is None:
        return None
    if row is not None and entity.money_rows is not None:
        column, values = entity.money_rows
        if row.get(column) not in values:
            return None
    if how != "account":
        return row.get(how) if row is not None else None
    if account_id is None:
        return None
    found = db.execute("SELECT currency FROM accounts WHERE id = ?", [account_id]).fetchone()
    return found[0] if found else None


def authorize(db: Database, actor: User, entity: Entity, account_id: int | None, action: Action,
              row: dict[str, Any] | None = None, changed: frozenset[str] = frozenset()) -> None:
    """Raise PermissionDenied unless `actor` may do `action` on a row of `entity` in `account_id`
    (and, given the row, on that row: its author or owner, see `Entity.authorize_row`; `changed` names the
    fields an update changes). The one place every write path asks who may, before it reads anything else."""
    if entity.authorize is not None:
        entity.authorize(db, actor, account_id, action)
    elif account_id is None:
        permissions.require_admin(actor)
    else:
        permissions.require_edit(db, actor, account_id)
    if row is not None and entity.authorize_row is not None:
        entity.authorize_row(db, actor, row, action, changed)


_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")


def _integrity_problem(exc: sqlite3.IntegrityError) -> ValidationError:
    text = str(exc)
    match = _UNIQUE.search(text)
    if match:
        return ValidationError.single(match.group(1), "reason.duplicate")
    if "FOREIGN KEY" in text:
        return ValidationError.single("record", "reason.still_referenced")
    return ValidationError.single("record", "reason.constraint", detail=text)
