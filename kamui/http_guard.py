"""What every HTTP answer of `serve.py` carries, and who may fetch downloads and metrics (issue 28, 7–10).

- Security headers on every response (`HEADERS`): a Content-Security-Policy that lets the app's own
  pages, the decision-chain map (an inline-script iframe, which inherits the policy) and the Vega-Lite
  charts run while nothing is fetched from, sent to or framed by another site; frame-ancestors 'none'
  with X-Frame-Options DENY; nosniff; a same-origin referrer. No `server: uvicorn` banner (`quiet_server`).
- Downloads (`st.download_button`'s and every other `/media/<id>`) go only to the signed-in person whose
  page made them: the session cookie must belong to a live session of the same user as the Streamlit
  session that holds the file. No cookie, a signed-out or expired one, or another person's: 403.
- `/_stcore/metrics` only for a signed-in administrator.

The pieces of Streamlit read here (the runtime's media file manager and session manager) are private;
`tests/browser/test_http_guard_browser.py` pins the behaviour on the installed version.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kamcore import sessions, store

log = logging.getLogger("kamwarroom")

CSP = "; ".join([
    "default-src 'self'",
    # Streamlit's bundle and the map's inline vis-network; Vega compiles its expressions with Function()
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "frame-src 'self' blob: data: about:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
MEDIA = "/media/"
METRICS = "/_stcore/metrics"


class Guard:
    """ASGI middleware: the headers on every HTTP response; downloads and metrics behind sign-in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        path = scope.get("path", "")
        if path.startswith(MEDIA) or path.rstrip("/") == METRICS:
            token = _cookie_token(scope)
            allowed = await run_in_threadpool(_may_fetch, path, token)
            if not allowed:
                await with_headers({"type": "http.response.start", "status": 403,
                                    "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")]})
                await send({"type": "http.response.body", "body": b"Sign in to fetch this."})
                return
        await self.app(scope, receive, with_headers)


def _cookie_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                return None
            found = jar.get(sessions.COOKIE)
            return found.value if found else None
    return None


def _may_fetch(path: str, token: str | None) -> bool:
    """Metrics: a signed-in admin. A media file: the cookie's user is the user of a Streamlit session
    that holds the file."""
    if not token:
        return False
    db = store.connect(store.database_path())
    try:
        user = sessions.resume(db, token)
    finally:
        db.close()
    if user is None:
        return False
    if not path.startswith(MEDIA):
        return user.is_admin
    file_id = os.path.splitext(path[len(MEDIA):].split("/")[0])[0]
    with _made_lock:
        return user.id in _made_for.get(file_id, ())


_made_for: dict[str, set[int]] = {}  # media file id -> the users whose pages made it (while the file lives)
_made_lock = threading.Lock()


def track_media_owners() -> None:
    """Record, as Streamlit makes each media file, the signed-in user of the session it is made for —
    `st.download_button`'s bytes, `st.image`, and the deferred downloads (`data=callable`, the huddle's Word
    minutes) made when clicked. Streamlit's own map of files to sessions is emptied at the start of every
    rerun, and a download button's click is itself a rerun, so it cannot answer "whose file is this" at the
    moment the browser fetches it. An entry goes when Streamlit drops the file (its sessions ended)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if getattr(MediaFileManager.add, "kam_tracked", False):
        return
    original_add, original_deferred = MediaFileManager.add, MediaFileManager.execute_deferred

    def remember(manager: MediaFileManager, url: str, user_id: object) -> None:
        made = os.path.splitext(url.rsplit("/", 1)[-1].split("?")[0])[0]
        with _made_lock:
            for gone in [fid for fid in _made_for if fid not in manager._file_metadata]:
                del _made_for[gone]
            if isinstance(user_id, int):
                _made_for.setdefault(made, set()).add(user_id)

    def add(self: MediaFileManager, *args, **kwargs) -> str:
        url = original_add(self, *args, **kwargs)
        ctx = get_script_run_ctx()
        remember(self, url, ctx.session_state["user_id"] if ctx and "user_id" in ctx.session_state else None)
        return url

    def execute_deferred(self: MediaFileManager, file_id: str) -> str:
        with self._lock:
            session_id = self._deferred_callables.get(file_id, {}).get("session_id")
        url = original_deferred(self, file_id)
        info = Runtime.instance()._session_mgr.get_session_info(session_id) if session_id else None
        state = info.session.session_state if info else None
        remember(self, url, state["user_id"] if state is not None and "user_id" in state else None)
        return url

    add.kam_tracked = True  # type: ignore[attr-defined]
    MediaFileManager.add = add  # type: ignore[method-assign]
    MediaFileManager.execute_deferred = execute_deferred  # type: ignore[method-assign]


def quiet_server() -> None:
    """Configure the uvicorn server that is importing `serve.py` right now: no `server: uvicorn` header, and
    no X-Forwarded-For rewriting of the client address by uvicorn (it trusts every loopback peer by default);
    `kamcore.sign_in_throttle.client_address` trusts only KAM_TRUSTED_PROXIES. Streamlit creates the uvicorn
    Config before it imports serve.py and builds nothing from these two fields until the import returns
    (the proxy middleware) or the next tick (the default headers), so setting them here takes effect."""
    import uvicorn

    frame = sys._getframe(1)
    while frame is not None:
        config = frame.f_locals.get("self")
        if isinstance(config, uvicorn.Config):
            config.encoded_headers = [(k, v) for k, v in config.encoded_headers if k != b"server"]
            config.server_header = False
            config.proxy_headers = False
            return
        frame = frame.f_back
    log.warning("serve.py was not imported by uvicorn: the server banner and proxy trust are uvicorn's defaults")
