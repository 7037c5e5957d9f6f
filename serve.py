"""Serve KAM War Room with the server-set HttpOnly session cookie: `streamlit run serve.py` (same flags as
Home.py). Home.py stays the app; this adds the two small routes of kamui/session_cookie.py beside it."""

import streamlit as st

from kamui import calendar_route, session_cookie

app = st.App("Home.py", routes=session_cookie.routes() + calendar_route.routes())
