"""The audit log read back: an account's history, restoring an earlier value, and
"what changed since" (the huddle builds on it).

Rows are written only by `records.write_audit`, inside the change's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kamcore import permissions, records, store
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.i18n import has, t
from kamcore.records import Entity
from kamcore.users import User

PAGE_SIZE = 100


def history(
    db: Database,
    actor: User,
    account_id: int,
    *,
    actor_id: int | None = None,
    entity: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    lang: str = "en",
) -> list[dict[str, Any]]:
    """An account's audit rows, newest first, filtered and paged in SQL; each names its record (`record`)."""
    permissions.require_read(db, actor, account_id)
    where, params = _filters(db, actor, account_id, actor_id, entity, since, until)
    found = store.rows(
        db,
        f"""SELECT a.id, a.at, a.actor_id, coalesce(u.display_name, 'System') AS actor, a.entity,
                   a.entity_id, a.account_id, a.action, a.field, a.old_value, a.new_value, a.version
            FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
            WHERE {where} ORDER BY a.at DESC, a.id DESC LIMIT ? OFFSET ?""",
        [*params, limit, offset],
    )
    for row in found:
        row["old_value"] = records.decode(row["old_value"])
        row["new_value"] = records.decode(row["new_value"])
    return named(db, with_reference_names(db, found, lang), lang)


def named(db: Database, rows: list[dict[str, Any]], lang: str = "en") -> list[dict[str, Any]]:
    """Give each audit row `record`: its record's name (see `record_titles`), else the kind of record."""
    titles = record_titles(db, {(r["entity"], r["entity_id"]) for r in rows}, rows, lang)
    for row in rows:
        row["record"] = titles.get((row["entity"], row["entity_id"])) or entity_label(row["entity"], lang)
    return _sources_named(db, with_currencies(db, rows), lang)


def with_currencies(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each audit row `currency`: the currency of a money field's amounts (the entity's `money_fields`),
    None for every other field, so screens show the values with `kamcore.money.fmt`."""
    current: dict[tuple[str, int], dict[str, Any] | None] = {}
    if rows:
        records.all_entities()
    for row in rows:
        entity = records.REGISTRY.get(row["entity"])
        if entity is None or row.get("field") not in entity.money_fields:
            row["currency"] = None
            continue
        key = (entity.name, row["entity_id"])
        if key not in current:
            current[key] = store.row(db, f"SELECT * FROM [{entity.table}] WHERE id = ?", [row["entity_id"]])
        row["currency"] = records.money_currency(db, entity, row["field"], current[key], row.get("account_id"))
    return rows


def _sources_named(db: Database, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """A `source` value (the record an agenda item or action came from: "huddle_remark:12", a flag's
    "rule:3@opportunity:41") shown as the records' kinds and names."""
    sources = [row for row in rows if row.get("field") == "source"]
    wanted = {ref for row in sources for side in ("old_value", "new_value") for ref in _source_refs(row[side])}
    if not wanted:
        return rows
    titles = record_titles(db, wanted, [], lang)
    for row in sources:
        for side in ("old_value", "new_value"):
            refs = _source_refs(row[side])
            if refs:
                row[side] = " · ".join(f"{entity_label(ref[0], lang)}: {titles[ref]}" if ref in titles
                                       else entity_label(ref[0], lang) for ref in refs)
    return rows


def _source_refs(value: Any) -> list[tuple[str, int]]:
    """The (entity, id) pairs a source names, or [] when it is not one."""
    if not isinstance(value, str) or ":" not in value:
        return []
    refs = []
    for part in value.split("@"):
        entity, _, number = part.partition(":")
        if not (number.isdigit() and entity.replace("_", "").isalpha()):
            return []
        refs.append((entity, int(number)))
    return refs


def count_history(db: Database, actor: User, account_id: int, *, actor_id: int | None = None,
                  entity: str | None = None, since: str | None = None, until: str | None = None) -> int:
    """How many audit rows match the same filters as `history`."""
    permissions.require_read(db, actor, account_id)
    where, params = _filters(db, actor, account_id, actor_id, entity, since, until)
    return db.execute(f"SELECT count(*) FROM audit_log a WHERE {where}", params).fetchone()[0]


def _filters(db: Database, actor: User, account_id: int, actor_id: int | None, entity: str | None,
             since: str | None, until: str | None) -> tuple[str, list[Any]]:
    hidden, params = unreadable_rows(db, actor)
    clauses, params = ["a.account_id = ?", hidden], [account_id, *params]
    for clause, value in (("a.actor_id = ?", actor_id), ("a.entity = ?", entity),
                          ("a.at >= ?", since), ("a.at < ?", until)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


def unreadable_rows(db: Database, actor: User, alias: str = "a.") -> tuple[str, list[Any]]:
    """SQL on `audit_log` (as `alias`) leaving out the history of rows `actor` may not read although they read
    the account (`Entity.readable_rows`: other people's daily logs), with its parameters."""
    clauses, params = ["1 = 1"], []
    for entity in records.all_entities():
        if entity.readable_rows is None:
            continue
        readable = entity.readable_rows(db, actor)
        if readable is not None:
            clauses.append(f"NOT ({alias}entity = ? AND {alias}entity_id NOT IN "
                           f"(SELECT id FROM [{entity.table}] WHERE {readable[0]}))")
            params.extend([entity.name, *readable[1]])
    return " AND ".join(clauses), params


# reference fields shown by name instead of id: field -> (table, label column)
REFERENCES = {
    "account_id": ("accounts", "name"),
    "user_id": ("users", "display_name"),
    "owner_id": ("users", "display_name"),
    "author_id": ("users", "display_name"),
    "product_line_id": ("product_lines", "code"),
    "opportunity_id": ("opportunities", "name"),
    "stakeholder_id": ("stakeholders", "name"),
    "target_id": ("stakeholders", "name"),
    "source_id": ("stakeholders", "name"),
}


def with_reference_names(db: Database, rows: list[dict[str, Any]], lang: str = "en") -> list[dict[str, Any]]:
    """Replace ids in reference fields by what they point to: a person by their display name (owner_id,
    reviewed_by…), a record by its title (`record_titles`). A field is a reference when it is in REFERENCES
    or a foreign key of its entity's table; an id whose record is gone reads "(removed)"."""
    targets: dict[tuple[str, str], str | None] = {}
    wanted: dict[str, set[int]] = {}
    for row in rows:
        key = (row.get("entity") or "", row.get("field") or "")
        if key not in targets:
            targets[key] = _reference_table(db, *key)
        if targets[key] is None:
            continue
        for value in (row["old_value"], row["new_value"]):
            if isinstance(value, int) and not isinstance(value, bool):
                wanted.setdefault(targets[key], set()).add(value)
    names = {(table, row_id): name for table, ids in wanted.items()
             for row_id, name in _names_in(db, table, ids, lang).items()}
    for row in rows:
        table = targets.get((row.get("entity") or "", row.get("field") or ""))
        if table is None:
            continue
        for side in ("old_value", "new_value"):
            value = row[side]
            if isinstance(value, int) and not isinstance(value, bool):
                row[side] = names.get((table, value), t("feed.removed_record", lang))
    return rows


def _reference_table(db: Database, entity: str, field_name: str) -> str | None:
    """The table a field of an entity points to (REFERENCES, its foreign key, else the table its name says),
    or None when it is not a reference."""
    if field_name in REFERENCES:
        return REFERENCES[field_name][0]
    if not field_name.endswith(("_id", "_by")):
        return None
    try:
        table = entity_named(entity).table
    except NotFoundError:
        return None
    declared = next((fk.other_table for fk in db[table].foreign_keys if fk.column == field_name), None)
    if declared is None and field_name.endswith("_id") and db[f"{field_name[:-3]}s"].exists():
        return f"{field_name[:-3]}s"  # a column added later without its REFERENCES clause (retrospective_id)
    return declared


def _names_in(db: Database, table: str, ids: set[int], lang: str) -> dict[int, str]:
    """The display name (people) or record title (anything else) of each id in `table`."""
    if table == "users":
        marks = ",".join("?" for _ in ids)
        return dict(db.execute(f"SELECT id, display_name FROM users WHERE id IN ({marks})", list(ids)).fetchall())
    kinds = [e.name for e in records.all_entities() if e.table == table]
    if kinds:
        titles = record_titles(db, {(kinds[0], i) for i in ids}, [], lang)
        return {row_id: title for (_, row_id), title in titles.items()}
    column = next((REFERENCES[f][1] for f in REFERENCES if REFERENCES[f][0] == table), None)
    if column is None or not db[table].exists():
        return {}
    marks = ",".join("?" for _ in ids)
    return dict(db.execute(f"SELECT id, [{column}] FROM [{table}] WHERE id IN ({marks})", list(ids)).fetchall())


def history_facets(db: Database, actor: User, account_id: int) -> dict[str, list[Any]]:
    """The people and entity kinds that appear in an account's history (for filter pickers)."""
    permissions.require_read(db, actor, account_id)
    hidden, params = unreadable_rows(db, actor)
    people = store.rows(
        db,
        "SELECT DISTINCT a.actor_id AS id, coalesce(u.display_name, 'System') AS name FROM audit_log a "
        f"LEFT JOIN users u ON u.id = a.actor_id WHERE a.account_id = ? AND {hidden} ORDER BY name",
        [account_id, *params],
    )
    kinds = [r[0] for r in db.execute(
        f"SELECT DISTINCT a.entity FROM audit_log a WHERE a.account_id = ? AND {hidden} ORDER BY a.entity",
        [account_id, *params]).fetchall()]
    return {"people": people, "entities": kinds}


def _refusal(entry: dict[str, Any]) -> ValidationError | None:
    """Why an audit row cannot be restored, or None: one rule for the History page and `restore`."""
    if entry["action"] not in ("update", "restore") or entry["field"] is None:
        return ValidationError.single("record", "reason.not_restorable")
    if entry["old_value"] in (records.HIDDEN, records.REDACTED) or entry["action"] == "redact":
        return ValidationError.single(entry["field"], "reason.not_restorable")
    if entry["field"] in entity_named(entry["entity"]).workflow_fields:
        # e.g. a stage: moving it back must pass its own rules
        return ValidationError.single(entry["field"], "reason.not_restorable_workflow")
    return None


def restorable(db: Database, actor: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit rows `actor` may restore: what `restore` would accept, but for a newer version."""
    return [row for row in rows if _refusal(row) is None and _may_write(db, actor, row)]


def _may_write(db: Database, actor: User, row: dict[str, Any]) -> bool:
    """The same authorization `restore` runs first (`_authorize_restore`)."""
    try:
        _authorize_restore(db, actor, row)
    except (PermissionDenied, NotFoundError):
        return False
    return True


def _authorize_restore(db: Database, actor: User, entry: dict[str, Any]) -> None:
    """May `actor` put this audit row's field back? The entity's authorization, and its row check (author,
    owner, lead) on the row as it is now, for a change of that one field."""
    if entry["account_id"] is not None:
        permissions.require_read(db, actor, entry["account_id"])
    entity = entity_named(entry["entity"])
    current = store.row(db, f"SELECT * FROM [{entity.table}] WHERE id = ?", [entry["entity_id"]])
    records.authorize(db, actor, entity, entry["account_id"], "update", row=current,
                      changed=frozenset({entry["field"]} if entry["field"] else ()))


def restore(db: Database, actor: User, audit_id: int, base_version: int) -> dict[str, Any]:
    """Put a field back to the value it had before audit row `audit_id`.

    The restore is an ordinary versioned write: refused if the row has moved past
    `base_version`, checked by the entity's own authorization, and audited with action 'restore'.
    """
    entry = store.row(db, "SELECT * FROM audit_log WHERE id = ?", [audit_id])
    if entry is None:
        raise NotFoundError("err.not_found_entity", entity="audit", id=audit_id)
    _authorize_restore(db, actor, entry)
    refusal = _refusal(entry)
    if refusal is not None:
        raise refusal
    return records.update(
        db, actor, entity_named(entry["entity"]), entry["entity_id"], base_version,
        {entry["field"]: records.decode(entry["old_value"])}, action="restore",
    )


def current_version(db: Database, entity_name: str, entity_id: int) -> int | None:
    """The row's version now, or None if it no longer exists."""
    entity = entity_named(entity_name)
    found = db.execute(f"SELECT version FROM [{entity.table}] WHERE id = ?", [entity_id]).fetchone()
    return found[0] if found else None


def changes_since(db: Database, actor: User, account_ids: list[int], since: str,
                  limit: int = 500) -> list[dict[str, Any]]:
    """Audit rows for the given accounts after `since`, oldest first (what changed since the last huddle); past
    `limit` rows, the newest ones (rows are written in any order of `at`: an import, the demo)."""
    for account_id in account_ids:
        permissions.require_read(db, actor, account_id)
    if not account_ids:
        return []
    marks = ",".join("?" for _ in account_ids)
    hidden, hidden_params = unreadable_rows(db, actor)
    found = store.rows(
        db,
        f"""SELECT * FROM (SELECT a.*, coalesce(u.display_name, 'System') AS actor FROM audit_log a
            LEFT JOIN users u ON u.id = a.actor_id
            WHERE a.account_id IN ({marks}) AND a.at > ? AND {hidden} ORDER BY a.at DESC, a.id DESC LIMIT ?)
            ORDER BY at, id""",
        [*account_ids, since, *hidden_params, limit],
    )
    for row in found:
        row["old_value"] = records.decode(row["old_value"])
        row["new_value"] = records.decode(row["new_value"])
    return with_currencies(db, found)


def entity_named(name: str) -> Entity:
    """The Entity registered under `name` (every kamcore module is imported once to find it)."""
    return records.entity(name)


TITLE_COLUMNS = ("name", "title", "metric", "action", "text", "plan", "goal", "statement", "summary", "body",
                 "label", "code", "number", "display_name", "requirement", "theme", "question", "problem", "step",
                 "factor", "aspect")  # the columns that name a record, most telling first


def entity_label(entity: str, lang: str) -> str:
    """The kind of a record in `lang`, capitalised ("Opportunity", "决策链人员")."""
    label = t(f"entity.{entity}", lang)
    return label[:1].upper() + label[1:] if label != f"entity.{entity}" else entity.replace("_", " ").capitalize()


def record_titles(db: Database, keys: set[tuple[str, int]], rows: list[dict[str, Any]],
            lang: str = "en") -> dict[tuple[str, int], str]:
    """A readable name for each (entity, id): its current title column, else the one it had when created or
    deleted (seen in `rows`, audit rows), else what it links (a stakeholder's role on a deal). One naming for
    History, Home's feed, My work and What changed: no screen shows a bare record number."""
    out: dict[tuple[str, int], str] = {}
    for row in rows:  # values seen in the log cover deleted records
        value = row["new_value"] if row["new_value"] not in (None, "") else row["old_value"]
        if row["field"] in TITLE_COLUMNS and isinstance(value, str) and value:
            out.setdefault((row["entity"], row["entity_id"]), _short(_title_text(row["entity"], row["field"], value, lang)))
    by_entity: dict[str, list[int]] = {}
    for entity, entity_id in keys:
        by_entity.setdefault(entity, []).append(entity_id)
    for entity, ids in by_entity.items():
        try:
            table = entity_named(entity).table
        except NotFoundError:
            continue
        columns = {c.name for c in db[table].columns}
        present = [c for c in TITLE_COLUMNS if c in columns]
        marks = ",".join("?" for _ in ids)
        if not present:  # named by what it links (a stakeholder's role on a deal: "Wang Jun · Line 3 upgrade")
            out.update(_titles_by_reference(db, entity, table, columns, ids, lang))
            continue
        if entity == "team_member":
            found = db.execute(
                f"SELECT t.id, u.display_name FROM account_team t JOIN users u ON u.id = t.user_id "
                f"WHERE t.id IN ({marks})", ids).fetchall()
        elif not present:
            continue
        else:  # the first non-empty title-like column; a goal without a title is named by its (translated) metric
            cols = ", ".join(f"[{c}]" for c in present)
            for row_id, *values in db.execute(f"SELECT id, {cols} FROM [{table}] WHERE id IN ({marks})", ids):
                name, value = next(((c, v) for c, v in zip(present, values, strict=True) if v not in (None, "")),
                                   (None, None))
                if value is not None:
                    out[(entity, row_id)] = _short(_title_text(entity, name, str(value), lang))
            continue
        for row_id, text in found:
            if text:
                out[(entity, row_id)] = _short(str(text))
    return out


def _title_text(entity: str, column: str, value: str, lang: str) -> str:
    """A title column's value as read: a choice code (a proposal step "win_themes", a goal's metric) by its
    label — the column's own list or the entity's — else the text itself."""
    key = next((k for k in (f"{column}.{value}", f"{entity}.{value}") if has(k)), None)
    return t(key, lang) if key else value


def _titles_by_reference(db: Database, entity: str, table: str, columns: set[str], ids: list[int],
                         lang: str) -> dict[tuple[str, int], str]:
    refs = [c for c in REFERENCES if c in columns and c != "account_id"]
    out: dict[tuple[str, int], str] = {}
    if not refs:
        return out
    marks = ",".join("?" for _ in ids)
    cols = ", ".join(f"[{c}]" for c in refs)
    found = [dict(zip(["id", *refs], row, strict=True)) for row in
             db.execute(f"SELECT id, {cols} FROM [{table}] WHERE id IN ({marks})", ids).fetchall()]
    label = entity_label(entity, lang)
    for row in found:
        fake = [{"field": c, "old_value": None, "new_value": row[c]} for c in refs]
        names = [str(r["new_value"]) for r in with_reference_names(db, fake)
                 if r["new_value"] is not None and not isinstance(r["new_value"], int)]
        if names:
            out[(entity, row["id"])] = _short(f"{label} · {' · '.join(names)}")
    return out


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
