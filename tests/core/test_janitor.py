"""kamui/janitor.py: collect and trim only when sessions have ended, never outside a server."""

from __future__ import annotations

from kamui import janitor


def test_sweep_collects_only_when_sessions_went_down(monkeypatch):
    counts = iter([5, 7, 3, 3])
    collected: list[int] = []
    monkeypatch.setattr(janitor, "_session_count", lambda: next(counts))
    monkeypatch.setattr(janitor.gc, "collect", lambda: collected.append(1) or 0)
    previous = janitor.sweep(None)  # first look: nothing to compare with
    assert (previous, collected) == (5, [])
    previous = janitor.sweep(previous)  # more sessions: nothing ended
    assert (previous, collected) == (7, [])
    previous = janitor.sweep(previous)  # 7 -> 3: sessions ended
    assert (previous, collected) == (3, [1])
    janitor.sweep(previous)  # unchanged: nothing more
    assert collected == [1]


def test_no_janitor_outside_a_server(monkeypatch):
    monkeypatch.setattr(janitor, "_thread", None)
    assert janitor._session_count() is None  # no Streamlit server in this process
    janitor.start()
    assert janitor._thread is None
