"""Run `streamlit run Home.py` with a memory probe: `kill -USR1 <pid>` writes what the process holds.

An investigation tool (issue 21), never used in production:

    KAM_DB=/tmp/x.db .venv/bin/python scripts/memprobe.py OUT.jsonl -- --server.port 8619 ...
    kill -USR1 <pid>      # appends one JSON line to OUT.jsonl
    kill -USR2 <pid>      # same, after glibc malloc_trim(0) (how much RSS is only freed-but-kept heap)

Each line: RSS, Streamlit's sessions (active / kept for reconnect), kamcore's data cache sizes, the
object counts by type (gc.get_objects(), without collecting first) and, with KAM_TRACEMALLOC=1, the
largest growths of allocated memory since the first probe (tracemalloc). Nothing here forces a
garbage collection unless KAM_PROBE_COLLECT=1.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import signal
import sys
import threading
import time
import tracemalloc
import types
from pathlib import Path

OUT = Path(sys.argv[1])
_first: list = []


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _streamlit() -> dict:
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return {}
    mgr = Runtime.instance()._session_mgr
    media = Runtime.instance()._media_file_mgr
    return {"active_sessions": len(mgr.list_active_sessions()), "all_sessions": len(mgr.list_sessions()),
            "stored": len(getattr(mgr._session_storage, "_cache", {})),
            "media_files": len(getattr(media._storage, "_files_by_id", {}))}


def _kamcore() -> dict:
    from kamcore import data_cache

    return {"entries": len(data_cache._entries), "per_account": len(data_cache._per_account)}


def _smaps() -> dict:
    """Resident MB by kind of mapping: the main heap, anonymous mappings (thread arenas, pymalloc
    arenas, large blocks, other allocators' segments) by size, and files (libraries)."""
    kinds: collections.Counter = collections.Counter()
    kind = "?"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            size = (end - start) >> 20
            name = head[5] if len(head) > 5 else ""
            kind = name if name.startswith("[") else ("file" if name else
                   "anon<1M" if size < 1 else "anon1-8M" if size < 8 else "anon8-64M" if size <= 64 else "anon>64M")
        elif head[0] == "Rss:":
            kinds[kind] += int(head[1])
    return {k: round(v / 1024, 1) for k, v in kinds.most_common()}


def _arrow() -> dict:
    if "pyarrow" not in sys.modules:
        return {}
    pool = sys.modules["pyarrow"].default_memory_pool()
    return {"backend": pool.backend_name, "allocated_mb": round(pool.bytes_allocated() / 2**20, 1),
            "peak_mb": round(pool.max_memory() / 2**20, 1)}


def _chain(obj: object, depth: int = 6, skip: tuple = ()) -> list[str]:
    """A referrer path upwards (types; dict keys where the holder is a dict), skipping the probe's own
    containers and frames."""
    path: list[str] = []
    ignore = {id(x) for x in skip} | {id(path)}
    for _ in range(depth):
        ignore.add(id(obj))
        holders = [r for r in gc.get_referrers(obj)
                   if id(r) not in ignore and type(r).__name__ not in ("frame", "list_iterator")]
        if not holders:
            break
        holder = holders[0]
        key = next((repr(k)[:50] for k, v in holder.items() if v is obj), "") if isinstance(holder, dict) else ""
        path.append(f"{type(holder).__qualname__}{'[' + key + ']' if key else ''}")
        obj = holder
    return path


def _describe(obj: object) -> str:
    kind = type(obj).__qualname__
    if isinstance(obj, dict):
        return f"dict{sorted(map(str, obj))[:6]}"
    if isinstance(obj, types.ModuleType):
        return f"module {obj.__name__}"
    if isinstance(obj, types.FunctionType):
        return f"function {obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, type):
        return f"class {obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, types.FrameType):
        return f"frame {obj.f_code.co_filename.rsplit('/', 2)[-2:]}:{obj.f_code.co_name}"
    if isinstance(obj, types.CellType):
        return "cell"
    if isinstance(obj, threading.Thread):
        return f"Thread {obj.name}"
    return kind


def _backref_chain(target: object, skip: tuple, max_nodes: int = 20000) -> list[str]:
    """objgraph's find_backref_chain written inline: the shortest referrer path from `target` up to a
    module, a class or a thread (a root), breadth first, skipping the probe's own containers and frames.
    Without a root, the path to the first object that has no (gc-visible) referrer."""
    here, probe_frames = sys._getframe(), set()
    while here is not None:
        probe_frames.add(id(here))
        here = here.f_back
    objs = {id(target): target}  # the only container of the walk that refers to what it walks
    child_of: dict[int, int | None] = {id(target): None}
    queue = collections.deque([id(target)])
    ignore = {id(x) for x in skip} | {id(objs), id(skip)} | probe_frames
    dead_end = None
    while queue and len(objs) < max_nodes:
        key = queue.popleft()
        refs = gc.get_referrers(objs[key])
        ignore.add(id(refs))
        found_any = False
        for ref in refs:
            if id(ref) in ignore or id(ref) in objs or type(ref).__name__ in ("list_iterator", "tuple_iterator"):
                continue
            found_any = True
            objs[id(ref)], child_of[id(ref)] = ref, key
            if isinstance(ref, (types.ModuleType, type, threading.Thread)):
                return _unwind(objs, child_of, id(ref))
            queue.append(id(ref))
        del refs
        if not found_any and dead_end is None and key != id(target):
            dead_end = key
    return ["(no root)"] + (_unwind(objs, child_of, dead_end) if dead_end else [])


def _unwind(objs: dict, child_of: dict, start: int) -> list[str]:
    path, key = [], start
    while key is not None:
        obj, child = objs[key], child_of[key]
        text = _describe(obj)
        if child is not None and isinstance(obj, dict):
            text += " key=" + next((repr(k)[:60] for k, v in obj.items() if v is objs[child]), "?")
        path.append(text)
        key = child
    return path


def probe(trim: bool) -> None:
    record: dict = {"t": round(time.time(), 1), "rss_mb_before_trim": round(_rss_mb(), 1)}
    if os.environ.get("KAM_PROBE_COLLECT") == "1":
        record["collected"] = gc.collect()
        record["rss_mb_after_collect"] = round(_rss_mb(), 1)
    if trim:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        record["rss_mb_after_trim"] = round(_rss_mb(), 1)
    record["threads"] = threading.active_count()
    record["smaps"] = _smaps()
    record["arrow"] = _arrow()
    record["streamlit"] = _streamlit()
    record["data_cache"] = _kamcore()
    counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    record["objects"] = dict(counts.most_common(40))
    record["interesting"] = {k: v for k, v in counts.items()
                             if k in ("AppSession", "ScriptRunner", "SessionState", "DataFrame", "Database",
                                      "Connection", "PageContext", "_Scope", "ForwardMsg", "Thread", "frame")}
    wanted = os.environ.get("KAM_PROBE_REFERRERS")  # e.g. DataFrame: who holds the oldest few
    if wanted:
        found = [o for o in gc.get_objects() if type(o).__qualname__ == wanted]
        picked = found[::max(1, len(found) // 6)]
        record["referrers"] = [_chain(o, skip=(found, picked)) for o in picked]
        del found, picked
    chains = os.environ.get("KAM_PROBE_CHAINS")  # e.g. PageContext,Database: a root path for a few each
    if chains:
        record["chains"] = {}
        for wanted in chains.split(","):
            found = [o for o in gc.get_objects() if type(o).__qualname__ == wanted]
            picked = found[::max(1, len(found) // 3)][:4]
            record["chains"][wanted] = [_backref_chain(o, skip=(found, picked)) for o in picked]
            del found, picked
    if tracemalloc.is_tracing():
        snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if not _first:
            _first.append(snap)
        record["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
        record["growth"] = [f"{s.size_diff / 1024:.0f} KiB {s.count_diff:+d} {s.traceback[0]}"
                            for s in snap.compare_to(_first[0], "lineno")[:25]]
    with OUT.open("a") as out:
        out.write(json.dumps(record) + "\n")


def main() -> None:
    if os.environ.get("KAM_TRACEMALLOC") == "1":
        tracemalloc.start(1)
    # the handlers run on the main thread (the server's event loop): probing happens between its events
    signal.signal(signal.SIGUSR1, lambda *_: probe(trim=False))
    signal.signal(signal.SIGUSR2, lambda *_: probe(trim=True))
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from streamlit.web.cli import main as streamlit_main

    rest = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    entry = os.environ.get("KAM_PROBE_ENTRY", "serve.py")  # how the app is served (serve.py, st.App)
    sys.argv = ["streamlit", "run", str(root / entry), *rest]
    streamlit_main()


if __name__ == "__main__":
    main()
