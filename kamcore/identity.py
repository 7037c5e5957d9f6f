"""Who is acting: the `User` every use case receives, and `SYSTEM` for the command line and migrations.

A leaf module (it imports nothing of kamcore), so records, permissions and users can all name the
actor without importing one another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """The acting person; `id=None` is the system (command line, migrations)."""

    id: int | None
    username: str
    display_name: str
    global_role: str = "member"
    lang: str = "en"

    @property
    def is_admin(self) -> bool:
        """Administrators manage users, the catalogue and company-wide settings."""
        return self.global_role == "admin"

    @property
    def is_executive(self) -> bool:
        """Executives read every account."""
        return self.global_role == "executive"


SYSTEM = User(id=None, username="system", display_name="System", global_role="admin")
