"""kamui/janitor.py: collect and trim only when sessions have ended, never outside a server."""

from __future__ import annotations

from kamui import janitor


def test_sweep_collects_only_when_sessions_went_down(monkeypatch):
    counts = iter([5, 7, 3, 3])
    collected: list[int] = []
    monkeypatch.setattr(janitor, "_seen", {})
    monkeypatch.setattr(janitor, "_sessions", lambda: {str(n): None for n in range(next(counts))})
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


def test_an_ended_session_still_held_elsewhere_is_emptied(monkeypatch):
    """Streamlit's Runtime loop keeps the last session it flushed (its loop variable) after that
    session ended; what the session held (state with page closures, fragments) must not stay with it."""
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    from streamlit.runtime.fragment import MemoryFragmentStorage
    from streamlit.runtime.state.session_state import SessionState

    class Session:  # the parts of an AppSession the janitor empties
        def __init__(self) -> None:
            self._session_state = SessionState()
            self._fragment_storage = MemoryFragmentStorage()
            self._browser_queue = ForwardMsgQueue()

    held, dropped = Session(), Session()
    held._session_state["page_namespace"] = {"frame": list(range(1000))}
    held._session_state._new_widget_state.widget_metadata["w"] = "a serde closing over the page"
    dropped._session_state["x"] = 1
    live = {"held": held, "dropped": dropped, "stays": Session()}
    live["stays"]._session_state["y"] = 2
    monkeypatch.setattr(janitor, "_seen", {})
    monkeypatch.setattr(janitor, "_sessions", lambda: dict(live))
    monkeypatch.setattr(janitor, "forget_gone_sessions", lambda known: 0)
    janitor.sweep(None)  # sees three sessions
    keeper = [held]  # something outside Streamlit's session manager keeps this one
    del live["held"], live["dropped"], dropped
    janitor.sweep(3)
    assert "page_namespace" not in keeper[0]._session_state  # emptied
    assert keeper[0]._session_state._new_widget_state.widget_metadata == {}
    assert live["stays"]._session_state["y"] == 2  # a live session is untouched
    assert set(janitor._seen) == {"stays"}
