"""Streamlit helpers shared by every page: the per-run connection, the shell, and editing widgets.

Pages import from here and from `kamcore`; nothing in `kamcore` imports this.
"""

import streamlit as st

from kamcore import settings


def _streamlit_secrets() -> dict[str, object]:
    """The top-level keys of `.streamlit/secrets.toml` (none when the file is absent)."""
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


settings.use_secrets(_streamlit_secrets())  # once per process, before any kamui module reads a setting
