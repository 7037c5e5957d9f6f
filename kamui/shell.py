"""The frame around every page: first-run setup, sign-in, and the sidebar with the account picker."""

from __future__ import annotations

import contextlib
from html import escape
from urllib.parse import urlencode, urlsplit

import streamlit as st

from kamcore import accounts, demo, inbox, sessions, sign_in_throttle, store, users
from kamcore.errors import KamError
from kamcore.i18n import LANG_NAMES, LANGS, choice_label
from kamcore.text import plain
from kamui import context, session_cookie
from kamui.context import tr
from kamui.editing import show_error


def setup_page() -> None:
    """Brand-new empty database: create the first administrator (or load the demo)."""
    st.title(tr("setup.title"))
    st.info(tr("setup.intro"))
    st.caption(tr("ix.setup_next"))
    with st.form("setup"):
        username = st.text_input(tr("signin.username"), key="setup.username")
        name = st.text_input(tr("setup.display_name"), key="setup.name")
        password = st.text_input(tr("signin.password"), type="password", key="setup.password")
        if st.form_submit_button(tr("setup.submit"), type="primary"):
            try:
                user = users.create_user(context.db(), users.SYSTEM, username, name, password, "admin")
            except KamError as exc:
                show_error(exc)
            else:
                remember(user)
                st.rerun()
    if st.button(tr("setup.load_demo"), key="setup.demo"):
        bar = st.progress(0.0, text=tr("setup.loading_demo"))
        demo.build(context.db(), progress=lambda share, step: bar.progress(share, text=f"{tr('setup.loading_demo')} {step}"))
        st.rerun()


def sign_in_page() -> None:
    """Username and password. Served through serve.py: a plain form the server answers itself, setting the
    cookie in its own response (kamui/session_cookie.py); else Streamlit's form, and the session remembers
    the user id."""
    st.title(tr("signin.title"))
    if st.session_state.pop("_session_ended", False):
        st.info(tr("shell.session_ended"))
    if session_cookie.served():
        _server_sign_in_form()
    else:
        _script_sign_in_form()
    if store.database_path() == store.DEFAULT_PATH:
        st.caption(tr("signin.demo_hint"))


def _server_sign_in_form() -> None:
    """The form that POSTs to /_kam/sign-in; a refusal comes back as ?kam_signin=failed or wait-N."""
    result = st.query_params.get(session_cookie.SIGN_IN_RESULT)
    if result is not None:
        del st.query_params[session_cookie.SIGN_IN_RESULT]
    if result == "failed":
        st.error(tr("signin.failed"))
    elif result and result.startswith("wait-") and result[5:].isdigit():
        show_error(sign_in_throttle.TooManyAttempts(int(result[5:])))
    query = {k: v for k, v in st.query_params.to_dict().items() if k != session_cookie.SIGN_IN_RESULT}
    path = urlsplit(st.context.url or "/").path or "/"
    target = session_cookie.safe_next(f"{path}?{urlencode(query)}" if query else path)
    field = ("display:block;width:100%;box-sizing:border-box;margin:0.25rem 0 1rem;padding:0.5rem 0.75rem;"
             "border:1px solid #d0d3d9;border-radius:0.5rem;font:inherit")
    st.html(f"""<form method="post" action="{session_cookie.SIGN_IN_PATH}" style="max-width:28rem"
      data-testid="kam-sign-in">
  <input type="hidden" name="next" value="{escape(target)}">
  <label style="display:block">{escape(tr("signin.username"))}
    <input name="username" autocomplete="username" required maxlength="40" style="{field}"></label>
  <label style="display:block">{escape(tr("signin.password"))}
    <input name="password" type="password" autocomplete="current-password" required style="{field}"></label>
  <label style="display:block;margin-bottom:1rem"><input type="checkbox" name="keep" value="1">
    {escape(tr("signin.keep"))}</label>
  <button type="submit" style="padding:0.5rem 1rem;border:0;border-radius:0.5rem;background:#B3261E;color:#fff;
    font:inherit;cursor:pointer">{escape(tr("signin.submit"))}</button>
</form>""")


def _script_sign_in_form() -> None:
    """Streamlit's own form (plain `streamlit run Home.py` and AppTest)."""
    with st.form("sign_in"):
        username = st.text_input(tr("signin.username"), key="signin.username")
        password = st.text_input(tr("signin.password"), type="password", key="signin.password")
        if st.form_submit_button(tr("signin.submit"), type="primary"):
            try:
                user = sign_in_throttle.sign_in(context.db(), username, password, client_address())
            except KamError as exc:  # too many attempts: says how long to wait
                show_error(exc)
            else:
                if user is None:
                    st.error(tr("signin.failed"))
                else:
                    remember(user)
                    st.rerun()


def client_address() -> str:
    """This browser's address as kamcore counts failed sign-ins against it (see sign_in_throttle)."""
    return sign_in_throttle.client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))


def language_switch() -> None:
    """English / 中文 toggle, kept for the session."""
    pending = st.session_state.pop("_pending_lang", None)
    if pending in LANGS:
        st.session_state["lang"] = pending
    if st.session_state.get("lang") not in LANGS:  # first run, or the pill was deselected
        st.session_state["lang"] = "en"
    st.sidebar.segmented_control(
        tr("shell.language"), LANGS, format_func=LANG_NAMES.get, key="lang", selection_mode="single",
        on_change=context.callback(_remember_language),
    )


def _remember_language() -> None:
    """Keep the choice as the user's preference, so a reload or another laptop opens in it."""
    user_id, chosen = st.session_state.get("user_id"), st.session_state.get("lang")
    if user_id is None or chosen not in LANGS:
        return
    db = context.db()
    with contextlib.suppress(KamError):  # a preference: losing a race here is harmless
        row = users.get_user_row(db, user_id)
        users.update_user(db, users.get_user(db, user_id), user_id, row["version"], {"lang": chosen})


def unread_count(user: users.User) -> int:
    """Mentions and assigned actions waiting in *My work* (the count beside it in the navigation)."""
    return inbox.unread_count(context.db(), user)


def nav_title(key: str, unread: int = 0) -> str:
    """A navigation entry's title, with its unread count when there is one: "My work (3)"."""
    return tr("nav.unread", title=tr(key), count=unread) if unread else tr(key)


def sidebar(user: users.User) -> None:
    """Who is signed in, the account picker (bound to ?account= in the URL), and sign-out."""
    db = context.db()
    side = st.sidebar
    side.markdown(tr("shell.signed_in_as", name=plain(user.display_name),
                     role=choice_label("global_role", user.global_role, context.lang())))
    visible = accounts.list_accounts(db, user)
    st.session_state["account_id"] = _pick_account(visible)
    if side.button(tr("shell.sign_out"), key="shell.sign_out"):
        sessions.end(db, st.session_state.pop("_session_token", None))
        for key in ("user_id", "account_id", "account_picker"):
            st.session_state.pop(key, None)
        st.session_state["_cookie_op"] = ("clear", "")
        st.rerun()


def session_token() -> str | None:
    """This browser's sign-in token (kept when the user changes their own password)."""
    return st.session_state.get("_session_token")


def remember(user: users.User) -> None:
    """Sign the user in for this browser: session state now, a session cookie for reloads."""
    token = sessions.start(context.db(), user)
    st.session_state["user_id"] = user.id
    st.session_state["_session_token"] = token
    st.session_state["_pending_lang"] = user.lang  # applied before the language switch is drawn
    st.session_state["_cookie_op"] = ("set", token)


def apply_cookie() -> None:
    """Write or clear the session cookie in the browser (queued by sign-in or sign-out).

    Served through serve.py, the server sets it (HttpOnly, SameSite=Strict): the script only posts a
    one-time code (kamui/session_cookie.py). Under plain `streamlit run Home.py` the script sets it itself
    (SameSite=Strict, Secure on https; readable by scripts, so there is no HttpOnly there)."""
    op = st.session_state.pop("_cookie_op", None)
    if op is None:
        return
    action, token = op
    if session_cookie.served():
        if action == "set":  # the code is URL-safe base64 from secrets.token_urlsafe: nothing to escape
            code = sessions.hand_over(context.db(), token)
            script = (f"fetch({session_cookie.SESSION_PATH!r}, {{method: 'POST', body: {code!r}, "
                      "credentials: 'same-origin'});")
        else:
            script = f"fetch({session_cookie.SIGN_OUT_PATH!r}, {{method: 'POST', credentials: 'same-origin'}});"
        st.iframe(f"<script>{script}</script>", height=1)
        return
    value = f"{sessions.COOKIE}={token}; path=/; SameSite=Strict"
    if action == "clear":
        value = f"{sessions.COOKIE}=; path=/; max-age=0; SameSite=Strict"
    st.iframe(f"<script>parent.document.cookie = {value!r} + "
              f"(location.protocol === 'https:' ? '; Secure' : '');</script>", height=1)


def _pick_account(visible: list[dict]) -> int | None:
    """Resolve the account from the URL, show the picker, and keep the URL in step with it."""
    if not visible:
        st.sidebar.caption(tr("shell.no_accounts"))
        return None
    ids = [a["id"] for a in visible]
    names = {a["id"]: a["name"] for a in visible}
    raw = st.query_params.get("account")
    wanted = accounts.parse_account_id(raw) if raw is not None else None
    if raw is not None and wanted not in names:
        fallback = st.session_state.get("account_picker")
        fallback = fallback if fallback in names else ids[0]
        from kamui.chores import plain  # user text in Markdown: shown literally

        st.warning(tr("shell.bad_account_param", raw=plain(str(raw)[:40]), name=plain(names[fallback])))
        wanted = fallback
    if wanted is None:
        wanted = st.session_state.get("account_picker")
        wanted = wanted if wanted in names else ids[0]
    st.session_state["account_picker"] = wanted  # the URL is the source of truth
    st.query_params["account"] = str(wanted)
    st.sidebar.selectbox(tr("shell.account"), ids, format_func=names.get, key="account_picker",
                         on_change=context.callback(_follow_picker))
    return wanted


def _follow_picker() -> None:
    """A new pick goes into the URL before the rerun, so links always name the account on screen."""
    st.query_params["account"] = str(st.session_state["account_picker"])
