"""Serve KAM War Room with the server's own sign-in and HttpOnly session cookie: `streamlit run serve.py` (same
flags as Home.py). Home.py stays the app; this adds the routes of kamui/session_cookie.py beside it and the
headers and download checks of kamui/http_guard.py around it."""

import streamlit as st
from starlette.middleware import Middleware

from kamui import calendar_route, http_guard, session_cookie

http_guard.quiet_server()
http_guard.track_media_owners()
app = st.App("Home.py", routes=session_cookie.routes() + calendar_route.routes(),
             middleware=[Middleware(http_guard.Guard)])
