"""The personal calendar feed served by the app's own server: GET /_kam/calendar/<token>.ics.

`serve.py` mounts `routes()` beside Streamlit's own (see kamui/session_cookie.py for the other two). A revoked,
unknown or malformed token answers 404 with an empty body: nothing about whether the address ever existed.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kamcore import store, team_calendar


def routes() -> list[Route]:
    """The feed route."""
    return [Route(f"{team_calendar.FEED_PATH}/{{token}}.ics", _feed, methods=["GET"])]


def _calendar(token: str) -> bytes | None:
    db = store.connect(store.database_path())
    try:
        return team_calendar.feed_ics(db, token)
    finally:
        db.close()


async def _feed(request: Request) -> Response:
    body = await run_in_threadpool(_calendar, request.path_params["token"])
    if body is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="kam.ics"'})
