"""People who sign in: accounts of users, password hashing (argon2) and sign-in (the acting
`User` itself lives in `kamcore.identity`; it is re-exported here).

Passwords are hashed with argon2id at the parameters OWASP's Password Storage Cheat Sheet gives as its
first choice (m = 19 MiB, t = 2, p = 1; `HASH_PARAMETERS`), not argon2-cffi's defaults by accident (64 MiB,
3 passes, 4 lanes: ~13x the cost of a sign-in on a 2-core server, for no stated reason). A hash made with
other parameters is upgraded on the owner's next successful sign-in. Hashes never reach the audit log.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any, Literal

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field, field_validator
from sqlite_utils import Database

from kamcore import clock, permissions, records, store
from kamcore.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from kamcore.identity import SYSTEM, User  # noqa: F401 - SYSTEM re-exported for callers
from kamcore.records import Entity, Record

GLOBAL_ROLES = ("admin", "executive", "member")
LANGS = ("en", "zh")
MIN_PASSWORD = 8
MAX_PASSWORD = 200
# OWASP Password Storage Cheat Sheet (argon2id, first of its equivalent settings): 19 MiB, 2 passes, 1 lane.
# ~37 ms per check on this 2-core machine; argon2-cffi releases the GIL while it hashes.
HASH_PARAMETERS = {"type": Type.ID, "memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}
PASSWORD_HASHER = PasswordHasher(**HASH_PARAMETERS)
_hasher = PASSWORD_HASHER


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the password hasher. Tests use a cheap one (a user in ~1 ms instead of ~0.4 s); hashes
    carry their own parameters, so either verifies the other's."""
    global _hasher
    _hasher = hasher


class UserIn(Record):
    """A user's stored fields as an admin may set them."""

    username: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=80)
    password_hash: str = Field(min_length=1)
    global_role: Literal["admin", "executive", "member"] = "member"
    lang: Literal["en", "zh"] = "en"
    active: bool = True
    lead_id: int | None = None  # the team lead who reviews this person's rhythm (D9)
    time_zone: str | None = None  # their own zone for timestamps; None = the company's (kamcore.time_zones)
    email: str = Field(default="", max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")  # '' = no mail

    @field_validator("time_zone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        return clock.checked_zone(value)


def _lead_fits(db: Database, values: dict[str, Any], row_id: int | None) -> None:
    """A lead is another active user, and no one ends up leading themself through a chain of leads."""
    lead_id = values.get("lead_id")
    if lead_id is None:
        return
    found = db.execute("SELECT active FROM users WHERE id = ?", [lead_id]).fetchone()
    if found is None or not found[0]:
        raise ValidationError.single("lead_id", "reason.lead_unknown")
    seen, current = set(), lead_id
    while current is not None and current not in seen:
        if current == row_id:
            raise ValidationError.single("lead_id", "reason.lead_cycle")
        seen.add(current)
        row = db.execute("SELECT lead_id FROM users WHERE id = ?", [current]).fetchone()
        current = row[0] if row else None


# Set only inside the self-service use cases (`as_self`): the user id that may change its own row there.
_self_service: contextvars.ContextVar[int | None] = contextvars.ContextVar("kam_self_service", default=None)


def _authorize(db: Database, actor: User, account_id: int | None, action: str) -> None:
    """Admins change users; a person changes their own row only through a self-service use case of this
    module (never a restore or a generic edit, which could give them a role)."""
    if actor.is_admin or (action == "update" and actor.id is not None and _self_service.get() == actor.id):
        return
    permissions.require_admin(actor)


def _authorize_row(db: Database, actor: User, row: dict[str, Any], action: str, changed: frozenset[str]) -> None:
    if not actor.is_admin and row.get("id") != _self_service.get():
        raise PermissionDenied("err.admin_only")


@contextlib.contextmanager
def as_self(actor: User) -> Iterator[None]:
    """Inside this block `actor` may change their own user row (the self-service use cases only:
    their name and language here, their password in `kamcore.passwords`)."""
    token = _self_service.set(actor.id)
    try:
        yield
    finally:
        _self_service.reset(token)


ENTITY = Entity("user", "users", UserIn, account_field=None, hidden_fields=frozenset({"password_hash"}),
                authorize=_authorize, authorize_row=_authorize_row, extra_checks=(_lead_fits,))


def hash_password(password: str) -> str:
    """Hash a new password after checking its length."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError.single("password", "reason.password_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise ValidationError.single("password", "reason.string_too_long", max_length=MAX_PASSWORD)
    return _hasher.hash(password)


def create_user(
    db: Database,
    actor: User,
    username: str,
    display_name: str,
    password: str,
    global_role: str = "member",
    lang: str = "en",
) -> User:
    """Add a user (admins only; the very first user may be created by anyone)."""
    if not _no_users_yet(db) and not actor.is_admin:
        raise PermissionDenied("err.admin_only")
    row = records.create(
        db,
        actor,
        ENTITY,
        {
            "username": username,
            "display_name": display_name,
            "password_hash": hash_password(password),
            "global_role": global_role,
            "lang": lang,
        },
    )
    return _to_user(row)


def update_user(db: Database, actor: User, user_id: int, base_version: int, changes: dict[str, Any]) -> User:
    """Change a user's name, role, language, time zone or active flag (admins; anyone their own name, language
    and time zone).
    Audited as the person who did it."""
    own_fields_only = actor.id == user_id and set(changes) <= {"lang", "display_name", "time_zone", "email"}
    if not actor.is_admin and not own_fields_only:
        raise PermissionDenied("err.admin_only")
    if "password_hash" in changes:
        raise ValidationError.single("password_hash", "reason.read_only")
    with as_self(actor) if own_fields_only else contextlib.nullcontext():
        return _to_user(records.update(db, actor, ENTITY, user_id, base_version, changes))


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password matches an active account, else None (no hint which part was wrong)."""
    record = store.row(db, "SELECT * FROM users WHERE username = ? AND active = 1", [(username or "").strip()])
    if record is None:
        _hasher.hash("timing-equaliser")  # same cost whether or not the user exists
        return None
    try:
        _hasher.verify(record["password_hash"], password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(record["password_hash"]):
        _upgrade_hash(db, _to_user(record), record["version"], password)
    return _to_user(record)


def _upgrade_hash(db: Database, user: User, version: int, password: str) -> None:
    """Re-hash a password made with older parameters, as its owner, right after it was verified. A row
    changed meanwhile (an admin's edit) keeps the old hash until the next sign-in."""
    with contextlib.suppress(ConflictError), as_self(user):
        records.update(db, user, ENTITY, user.id, version, {"password_hash": _hasher.hash(password)})


def get_user_row(db: Database, user_id: int) -> dict[str, Any]:
    """The stored user row (with its version), or NotFoundError."""
    return records.get(db, ENTITY, user_id)


def get_user(db: Database, user_id: int) -> User:
    """The user with this id, or NotFoundError."""
    return _to_user(get_user_row(db, user_id))


def find_by_username(db: Database, username: str) -> User:
    """The user with this username, or NotFoundError."""
    row = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise NotFoundError("err.unknown_user", username=username)
    return get_user(db, row[0])


def list_users(db: Database, include_inactive: bool = True) -> list[dict[str, Any]]:
    """All users without their password hashes, with their lead's name, for admin screens and pickers."""
    where = "" if include_inactive else "WHERE u.active = 1"
    return store.rows(
        db,
        "SELECT u.id, u.username, u.display_name, u.global_role, u.lang, u.active, u.version, u.lead_id, "
        f"coalesce(l.display_name, '') AS lead_name FROM users u LEFT JOIN users l ON l.id = u.lead_id {where} "
        "ORDER BY u.display_name",
    )


def set_lead(db: Database, actor: User, user_id: int, base_version: int, lead_id: int | None) -> User:
    """Name the team lead who reviews this person's rhythm (admins only); None clears it."""
    return update_user(db, actor, user_id, base_version, {"lead_id": lead_id})


def lead_of(db: Database, user_id: int) -> int | None:
    """The id of this person's team lead, or None when none is set."""
    row = db.execute("SELECT lead_id FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else None


def without_lead(db: Database) -> list[dict[str, Any]]:
    """Active members who work on an account team (an editing role: the people who keep a rhythm) with no team
    lead set, by name. A member who only views accounts (a guest) keeps no rhythm and needs no lead."""
    marks = ",".join("?" for _ in permissions.EDITING_ROLES)
    return store.rows(db, f"""SELECT id, username, display_name FROM users u
                              WHERE active = 1 AND global_role = 'member' AND lead_id IS NULL
                                AND EXISTS (SELECT 1 FROM account_team t WHERE t.user_id = u.id
                                            AND t.role IN ({marks}))
                              ORDER BY display_name""", list(permissions.EDITING_ROLES))


def members_on_teams(db: Database) -> int:
    """How many active members work on an account team (an editing role) — the people a team lead is for."""
    marks = ",".join("?" for _ in permissions.EDITING_ROLES)
    return db.execute(f"""SELECT count(*) FROM users u WHERE active = 1 AND global_role = 'member'
                           AND EXISTS (SELECT 1 FROM account_team t WHERE t.user_id = u.id AND t.role IN ({marks}))""",
                      list(permissions.EDITING_ROLES)).fetchone()[0]


def _no_users_yet(db: Database) -> bool:
    return db.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def _to_user(row: dict[str, Any]) -> User:
    return User(row["id"], row["username"], row["display_name"], row["global_role"], row["lang"])
