"""The session cookie set by the server itself: HttpOnly (no script can read the token), SameSite=Strict,
Secure behind https.

Streamlit's script cannot answer an HTTP request, so `serve.py` runs the app as `st.App("Home.py",
routes=routes())` (Streamlit 1.67's ASGI mode, started the usual way: `streamlit run serve.py`). After
sign-in the page's script only gets a one-time code (`sessions.hand_over`, valid one minute, used once)
and POSTs it to /_kam/session; this route trades it for the token and answers with Set-Cookie. Sign-out
POSTs to /_kam/sign-out, which ends the cookie's session and deletes the cookie. Both routes refuse a
request from another site (Origin must be this host). Codes live in SQLite, so any process of the nginx
cluster can answer.

Started as `streamlit run Home.py` (no routes), the shell falls back to a script-set cookie (not HttpOnly).
"""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kamcore import sessions, store

SESSION_PATH = "/_kam/session"
SIGN_OUT_PATH = "/_kam/sign-out"
SERVED = {"on": False}  # set by routes(): the server answers the two paths, so the cookie can be HttpOnly


def served() -> bool:
    """Does this process answer /_kam/session (started through serve.py)?"""
    return SERVED["on"]


def routes() -> list[Route]:
    """The two routes `serve.py` mounts beside Streamlit's own."""
    SERVED["on"] = True
    return [Route(SESSION_PATH, _set_cookie, methods=["POST"]), Route(SIGN_OUT_PATH, _sign_out, methods=["POST"])]


def _same_site(request: Request) -> bool:
    origin = request.headers.get("origin") or ""
    return bool(origin) and urlparse(origin).netloc == request.headers.get("host")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _with_db(work):
    db = store.connect(store.database_path())
    try:
        return work(db)
    finally:
        db.close()


async def _set_cookie(request: Request) -> Response:
    if not _same_site(request):
        return Response(status_code=403)
    code = (await request.body())[:200].decode("ascii", "replace")
    token = await run_in_threadpool(_with_db, lambda db: sessions.redeem(db, code))
    if token is None:
        return Response(status_code=410)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(sessions.COOKIE, token, max_age=int(sessions.LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="strict", secure=_secure(request))
    return response


async def _sign_out(request: Request) -> Response:
    if not _same_site(request):
        return Response(status_code=403)
    token = request.cookies.get(sessions.COOKIE)
    if token:
        await run_in_threadpool(_with_db, lambda db: sessions.end(db, token))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response
