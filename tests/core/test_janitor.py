"""kamui/janitor.py: collect and trim only when sessions have ended, never outside a server."""

from __future__ import annotations

from kamui import janitor


def test_sweep_collects_only_when_sessions_went_down(monkeypatch):
    counts = iter([5, 7, 3, 3])
    collected: list[int] = []
    monkeypatch.setattr(janitor, "_session_ids", lambda: {str(n) for n in range(next(counts))})
    monkeypatch.setattr(janitor, "forget_gone_sessions", lambda known: 0)
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


def test_gone_sessions_dataframe_sources_are_dropped(monkeypatch):
    from types import SimpleNamespace

    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager

    sources = DataframeSourceManager()
    for session, source in (("gone", "s1"), ("gone", "s2"), ("here", "s3")):
        sources._sources[source] = SimpleNamespace(fragment_id=None)
        sources._sources_by_session_and_coord[session][source] = source
    monkeypatch.setattr(janitor, "_runtime", lambda: SimpleNamespace(dataframe_source_mgr=sources))
    assert sources.get_source_count() == 3
    assert janitor.forget_gone_sessions({"here"}) == 1
    assert sources.get_source_count() == 1  # the kept session's source stays
    assert janitor.forget_gone_sessions({"here"}) == 0
