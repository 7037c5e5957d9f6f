"""Streamlit helpers shared by every page: the per-run connection, the shell, and editing widgets.

Pages import from here and from `kamcore`; nothing in `kamcore` imports this.
"""
