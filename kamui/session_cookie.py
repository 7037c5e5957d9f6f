"""Sign-in and the session cookie, answered by the server itself: HttpOnly (no script can read the token),
SameSite=Strict, Secure behind https.

Streamlit's script cannot answer an HTTP request, so `serve.py` runs the app as `st.App("Home.py",
routes=routes(), middleware=…)` (Streamlit 1.67's ASGI mode, started the usual way: `streamlit run serve.py`).

- Sign-in: the sign-in page is a plain HTML form that POSTs to /_kam/sign-in. This route checks the
  password (the sign-in throttle, argon2 on the server's thread pool — off the script threads that run
  everyone's pages), opens the session and answers 303 back to the page the person asked for, with the
  cookie in that same response. The page that then loads is signed in by its cookie: there is no moment
  where the screen says "signed in" but a reload would not be (issue 27 item 4). A refusal goes back to
  the form with `?kam_signin=failed` (or `wait-N`, N seconds of the throttle's wait).
- Sign-out POSTs to /_kam/sign-out, which ends the cookie's session and deletes the cookie.
- A session opened some other way (the first administrator of an empty database, through Streamlit's own
  form) gets its cookie through /_kam/session: the page's script only sees a one-time code
  (`sessions.hand_over`, one minute, used once) and the route trades it for the cookie.

Every route refuses a request whose Origin is not the configured public address (`public_origins`: the
setting KAM_PUBLIC_URL, else this server's own port on localhost and this host's names) — never compared
with the request's own Host header, which the client chooses — and reads at most MAX_BODY bytes of a
body. Codes and sessions live in SQLite, so any process of the nginx cluster can answer.

Started as `streamlit run Home.py` (no routes; AppTest too), the shell keeps Streamlit's own sign-in form
and a script-set cookie (not HttpOnly).
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kamcore import sessions, settings, sign_in_throttle, store
from kamcore.errors import KamError

SESSION_PATH = "/_kam/session"
SIGN_IN_PATH = "/_kam/sign-in"
SIGN_OUT_PATH = "/_kam/sign-out"
SIGN_IN_RESULT = "kam_signin"  # the query parameter a refused sign-in comes back with
MAX_BODY = 4096  # a username, a password and two flags; anything longer is refused unread
SERVED = {"on": False}  # set by routes(): the server answers these paths, so the cookie can be HttpOnly


class BodyTooLarge(Exception):
    """A request body over MAX_BODY (refused with 413 before the rest is read)."""


def served() -> bool:
    """Does this process answer /_kam/sign-in (started through serve.py)?"""
    return SERVED["on"]


def routes() -> list[Route]:
    """The routes `serve.py` mounts beside Streamlit's own."""
    SERVED["on"] = True
    return [Route(SIGN_IN_PATH, _sign_in, methods=["POST"]), Route(SESSION_PATH, _set_cookie, methods=["POST"]),
            Route(SIGN_OUT_PATH, _sign_out, methods=["POST"])]


def public_origins() -> frozenset[str]:
    """The origins this app is reached at: KAM_PUBLIC_URL (comma-separated, e.g. https://warroom.example.com;
    scripts/cluster.py sets its nginx's), else http on this server's port at localhost, 127.0.0.1, [::1]
    and this host's names."""
    configured = [url.rstrip("/") for url in settings.current().public_urls]
    if configured:
        return frozenset(_origin(url) for url in configured)
    from streamlit import config

    port = config.get_option("server.port")
    hosts = {"localhost", "127.0.0.1", "[::1]", socket.gethostname(), socket.getfqdn()}
    return frozenset(f"http://{host}:{port}".lower() for host in hosts if host)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_site(request: Request) -> bool:
    """The request comes from a page of this app (its Origin is one of `public_origins`)."""
    origin = (request.headers.get("origin") or "").lower()
    return bool(origin) and origin in public_origins()


async def bounded_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, read only while it stays within `limit` bytes (a declared larger length is
    refused before anything is read); BodyTooLarge otherwise."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return body


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _with_db(work):
    db = store.connect(store.database_path())
    try:
        return work(db)
    finally:
        db.close()


def _cookie(response: Response, request: Request, token: str, kept: bool) -> None:
    """The session cookie: HttpOnly, SameSite=Strict; a kept session's outlives the browser."""
    max_age = int(sessions.KEPT_LIFETIME.total_seconds()) if kept else None
    response.set_cookie(sessions.COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_secure(request))


def safe_next(target: str) -> str:
    """Where to go after sign-in: a path of this app only (never another site: no scheme, no host, no //)."""
    target = (target or "/").strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _with_result(target: str, result: str) -> str:
    parts = urlsplit(target)
    query = [(k, v) for k, values in parse_qs(parts.query).items() for v in values if k != SIGN_IN_RESULT]
    query.append((SIGN_IN_RESULT, result))
    return f"{parts.path}?{urlencode(query)}"


def client_address(request: Request) -> str:
    """The address the sign-in throttle counts (X-Forwarded-For only from KAM_TRUSTED_PROXIES)."""
    peer = request.client.host if request.client else None
    return sign_in_throttle.client_address(peer, request.headers.get("x-forwarded-for"))


def _check_password(username: str, password: str, address: str, kept: bool) -> tuple[str | None, str]:
    """(token, "") for a right password, (None, "failed" or "wait-N") otherwise; on a worker thread."""

    def work(db):
        try:
            user = sign_in_throttle.sign_in(db, username, password, address)
        except sign_in_throttle.TooManyAttempts as exc:
            return None, f"wait-{exc.seconds}"
        except KamError:
            return None, "failed"
        if user is None:
            return None, "failed"
        return sessions.start(db, user, kept=kept), ""

    return _with_db(work)


async def _sign_in(request: Request) -> Response:
    if not same_site(request):
        return Response(status_code=403)
    try:
        body = await bounded_body(request)
    except BodyTooLarge:
        return Response(status_code=413)
    except ClientDisconnect:
        return Response(status_code=400)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), max_num_fields=8).items()}
    target = safe_next(form.get("next", "/"))
    kept = form.get("keep") == "1"
    token, result = await run_in_threadpool(_check_password, form.get("username", "")[:200],
                                            form.get("password", "")[:400], client_address(request), kept)
    if token is None:
        return RedirectResponse(_with_result(target, result), status_code=303, headers={"Cache-Control": "no-store"})
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    _cookie(response, request, token, kept)
    return response


async def _set_cookie(request: Request) -> Response:
    if not same_site(request):
        return Response(status_code=403)
    try:
        code = (await bounded_body(request, 200)).decode("ascii", "replace")
    except BodyTooLarge:
        return Response(status_code=413)
    except ClientDisconnect:
        return Response(status_code=400)
    token = await run_in_threadpool(_with_db, lambda db: sessions.redeem(db, code))
    if token is None:
        return Response(status_code=410)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    _cookie(response, request, token, kept=False)
    return response


async def _sign_out(request: Request) -> Response:
    if not same_site(request):
        return Response(status_code=403)
    token = request.cookies.get(sessions.COOKIE)
    if token:
        await run_in_threadpool(_with_db, lambda db: sessions.end(db, token))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response
