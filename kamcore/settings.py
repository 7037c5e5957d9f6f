"""The app's configuration: one `Settings` object built from the environment and Streamlit secrets.

Every knob is a field of `Settings` with the variable that sets it and how its text is read, so
adding one is one line here. Sources, first match wins: the process environment, then the
top-level keys of `.streamlit/secrets.toml` (same names, e.g. `KAM_DB = "/srv/kam/warroom.db"`;
kamui hands them over with `use_secrets`, since kamcore does not import Streamlit), then the
field's default. Code reads `settings.current()`; nothing else looks at `os.environ` for app
configuration. A test changes a setting by setting its variable (pytest's `monkeypatch.setenv`):
`current()` is rebuilt only when one of the variables it reads has changed.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "db" / "warroom.db"


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _on(text: str) -> bool:
    return text == "1"


def _not_off(text: str) -> bool:
    return text != "0"


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _text(text: str) -> str:
    return text


def _setting(variable: str, read: Callable[[str], Any], default: Any, doc: str) -> Any:
    return field(default=default, metadata={"variable": variable, "read": read, "doc": doc})


@dataclass(frozen=True)
class Settings:
    """What this process was configured with (see the module docstring for where each comes from)."""

    database_path: Path = _setting("KAM_DB", _path, DEFAULT_DATABASE,
                                   "the SQLite file; the demo file under db/ when unset")
    debug: bool = _setting("KAM_DEBUG", _on, False,
                           "1: unexpected errors raise (tests) instead of the friendly message")
    strict_scopes: bool = _setting("KAM_STRICT_SCOPES", _on, False,
                                   "1: context.db() outside a connection scope is an error, not a warning")
    test_hooks: bool = _setting("KAM_TEST_HOOKS", _on, False,
                                "1: register the page with planted errors (browser tests only)")
    memory_janitor: bool = _setting("KAM_JANITOR", _not_off, True,
                                    "0: do not start the memory janitor thread")
    clock_at: str = _setting("KAM_CLOCK_AT", _text, "",
                             "an ISO moment that pins the whole process's clock (a test server); read by kamcore.clock")
    public_urls: tuple[str, ...] = _setting("KAM_PUBLIC_URL", _list, (),
                                            "the addresses people open (comma-separated): origins and mail links")
    trusted_proxies: tuple[str, ...] = _setting("KAM_TRUSTED_PROXIES", _list, (),
                                                "reverse proxies whose X-Forwarded-For is believed")
    smtp_host: str = _setting("KAM_SMTP_HOST", _text, "", "the SMTP server mail goes out through (none: no mail)")
    smtp_port: str = _setting("KAM_SMTP_PORT", _text, "", "its port (587 when unset)")
    smtp_tls: str = _setting("KAM_SMTP_TLS", _text, "", "starttls (unset), ssl or none")
    smtp_user: str = _setting("KAM_SMTP_USER", _text, "", "the SMTP user")
    smtp_password: str = _setting("KAM_SMTP_PASSWORD", _text, "", "the SMTP password")
    smtp_from: str = _setting("KAM_SMTP_FROM", _text, "", "the sender address")


_FIELDS = dataclasses.fields(Settings)
VARIABLES: tuple[str, ...] = tuple(f.metadata["variable"] for f in _FIELDS)
_secrets: dict[str, str] = {}


def load(environ: Mapping[str, str], secrets: Mapping[str, Any] | None = None) -> Settings:
    """Settings from `environ`, then `secrets`, then the defaults; blank values count as unset."""
    values = {}
    for f in _FIELDS:
        name = f.metadata["variable"]
        text = str(environ.get(name) or "").strip() or str((secrets or {}).get(name) or "").strip()
        if text:
            values[f.name] = f.metadata["read"](text)
    return Settings(**values)


def use_secrets(secrets: Mapping[str, Any]) -> None:
    """Take the top-level Streamlit secrets this process was started with (called once by kamui)."""
    _secrets.clear()
    _secrets.update({k: str(v) for k, v in secrets.items() if k in VARIABLES})


def current() -> Settings:
    """This process's settings, built once per distinct configuration."""
    return _built(tuple(os.environ.get(name) for name in VARIABLES), tuple(sorted(_secrets.items())))


@functools.lru_cache(maxsize=8)
def _built(environ: tuple[str | None, ...], secrets: tuple[tuple[str, str], ...]) -> Settings:
    return load({k: v for k, v in zip(VARIABLES, environ, strict=True) if v is not None}, dict(secrets))
