"""The house rules, checked on the code itself: the domain has no UI, pages have no SQL, kamcore's
imports form no cycle, public kamcore functions say what they do, every versioned table has an
entity, and nothing guards against a feature 'not being installed'."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from kamcore import records, store
from tests.conftest import ROOT

KAMCORE = ROOT / "kamcore"
VIEWS = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "kamui").glob("*.py"))]
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|\.execute\(", re.I)


def _module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _kamcore_modules() -> dict[str, object]:
    return {_module_name(p): p for p in KAMCORE.rglob("*.py")}


def test_kamcore_never_imports_streamlit():
    code = ("import importlib, pkgutil, sys, kamcore\n"
            "for m in pkgutil.walk_packages(kamcore.__path__, 'kamcore.'):\n"
            "    importlib.import_module(m.name)\n"
            "assert 'streamlit' not in sys.modules, 'kamcore imported streamlit'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_pages_and_kamui_contain_no_sql():
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in VIEWS
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if SQL.search(line)]
    assert offenders == [], "SQL belongs in kamcore"


def test_kamcore_imports_form_no_cycle_even_inside_functions():
    modules = _kamcore_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kamcore"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    graph[name].add(target if target in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
    # a package's __init__ importing its own modules, and records walking the packages, are not cycles
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "kamcore" or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_every_public_kamcore_function_and_class_has_a_docstring():
    missing = []
    for path in KAMCORE.rglob("*.py"):
        if "i18n" in path.parts:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_") \
                    and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert missing == []


def test_every_versioned_table_has_an_entity(tmp_path):
    db = store.connect(tmp_path / "t.db")
    try:
        versioned = {t.name for t in db.tables if "version" in t.columns_dict and not t.name.startswith("_")}
        covered = {e.table for e in records.all_entities()}
        # the audit log records versions; the shared screen's position is moved by its own last-move-wins rule
        assert versioned - covered - {"audit_log", "huddle_sessions"} == set()
    finally:
        db.close()


def test_no_code_guards_against_a_feature_that_may_not_be_installed():
    guards = re.compile(r"_optional\(|has_table\(|Facts\(.*\)\.has\(|facts\.has\(|except ImportError|has not landed")
    swallow = re.compile(r"except Exception")  # in the domain and the tests: anything unexpected must fail loudly
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in [*KAMCORE.rglob("*.py"), *VIEWS, *(ROOT / "tests").rglob("*.py")]
                 if p.name != "test_house.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if guards.search(line) or (swallow.search(line) and p not in VIEWS
                                            and "unreadable" not in line  # a user's unreadable file is input
                                            and "reported by the test" not in line)]  # collected, then asserted
    assert offenders == []


SYSTEM_CLOCK = re.compile(r"\b(?:date\.today|datetime\.(?:now|utcnow|today)|time\.(?:localtime|gmtime))\(")
WALL_SECONDS = re.compile(r"\btime\.time\(\)")


def test_only_kamcore_clock_reads_the_system_clock():
    """Days and moments come from `kamcore.clock` (the company's zone, a clock tests can set): nothing else
    reads the date or the time of day. Scripts may time a run with time.time(); nothing in the app may."""
    app = [*KAMCORE.rglob("*.py"), *VIEWS, ROOT / "serve.py"]
    scripts = sorted((ROOT / "scripts").rglob("*.py"))
    offenders = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in [*app, *scripts]
                 if p != KAMCORE / "clock.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if SYSTEM_CLOCK.search(line) or (p in app and WALL_SECONDS.search(line))]
    assert offenders == []


def test_the_clock_rule_catches_each_way_of_reading_the_system_clock():
    caught = [line for line in ("day = date.today()", "now = datetime.now(UTC)", "t = datetime.utcnow()",
                                "datetime.today()", "stamp = time.time()")
              if SYSTEM_CLOCK.search(line) or WALL_SECONDS.search(line)]
    assert len(caught) == 5
# ---- user text is text (issue 28, item 1) ----------------------------------------------------------------
# Streamlit renders Markdown in these calls' text (and in widget, tab and expander labels): an image there makes
# every reader's browser fetch its address. A record's field read into one of them must pass through the one
# escaper, `kamcore.text.plain`, on its way.
MARKDOWN_CALLS = {"markdown", "caption", "write", "info", "warning", "success", "error", "toast", "title", "header",
                  "subheader", "expander", "button", "checkbox", "toggle", "radio", "metric", "popover",
                  "link_button", "page_link", "download_button", "form_submit_button", "tabs", "selectbox",
                  "multiselect", "text_input", "text_area", "number_input", "date_input", "segmented_control",
                  "pills", "select_slider", "slider", "time_input", "file_uploader", "status"}
# what makes a value app-owned text: the escaper itself, HTML escaping (inside the app's own HTML blocks),
# translated labels of choices, formatted numbers and amounts
ESCAPING_OR_APP_OWNED = {"plain", "escape", "esc", "choice_label", "label", "_label", "labels", "len", "round", "int",
                         "fmt", "money_by_currency", "total_text", "money", "value_text_of", "stamp", "day",
                         "day_text"}
# record fields that hold numbers, dates, ids, choice keys or lists of rows, never free text
NOT_TEXT = {"id", "version", "count", "number", "year", "quarter", "total", "score", "items_scored",
            "comparison_score", "criteria_number", "due", "closed_on", "held_on", "visit_on", "planned_on",
            "approved_on", "created_at", "signed_at", "submitted_on", "price_quoted_on", "last_contact", "days_since",
            "stale", "overdue", "weighted", "spent", "planned", "won", "won_value", "open", "closed", "subjects",
            "message_key", "action_due", "activated_at", "revenue", "met", "is_us", "status", "stage", "kind",
            "severity", "role", "result", "dimension", "tier", "currency", "link", "period_start", "review_status",
            "supportive", "due_on", "entity", "needs", "wants", "unjudged", "criteria_weight_total", "custom_weights",
            "priority", "action_id", "outcome", "weights_version", "review_type", "review_from", "review_to", "op",
            "field", "widens", "still_open", "wants_without_need", "by_currency", "subsidiaries"}  # the last three: lists of rows
USER_TEXT_ATTRS = re.compile(r"(name|title|text|body|reason|notes?|label)$")


def _unescaped_record_text(node: ast.AST) -> list[ast.AST]:
    """Record fields read inside `node` (row["name"], item.account_name) that no escaper wraps. What is only
    tested (a condition, a comprehension's filter) and a translation's key are not shown text."""
    if isinstance(node, ast.Call):
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called in ESCAPING_OR_APP_OWNED or (called == "map" and ast.unparse(node.args[0]) == "plain"):
            return []
        skipped = [func, *(node.args[:1] if called in ("t", "tr") else [])]
    elif isinstance(node, ast.IfExp):
        skipped = [node.test]
    elif isinstance(node, ast.comprehension):
        skipped = list(node.ifs)
    elif isinstance(node, ast.Compare):
        return []
    elif isinstance(node, ast.Subscript):
        skipped = [node.slice]
    else:
        skipped = []
    found: list[ast.AST] = []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "message":
        found.append(node)  # a domain message or flag carries the user's values (names, what they typed)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str) \
            and node.slice.value not in NOT_TEXT or isinstance(node, ast.Attribute) and USER_TEXT_ATTRS.search(node.attr):
        found.append(node)
    for child in ast.iter_child_nodes(node):
        if not any(child is s for s in skipped):
            found.extend(_unescaped_record_text(child))
    return found


def test_user_text_reaches_markdown_only_through_the_one_escaper():
    from kamcore import text
    from kamui import chores

    assert chores.plain is text.plain, "one escaper: the pages' plain is kamcore.text.plain"
    leaks = []
    for path in VIEWS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = [node.func.body, node.func.orelse] if isinstance(node.func, ast.IfExp) else [node.func]
            if not any(isinstance(f, ast.Attribute) and f.attr in MARKDOWN_CALLS for f in called):
                continue
            shown = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("label", "body"))]
            for arg in shown:
                for leak in _unescaped_record_text(arg):
                    leaks.append(f"{path.relative_to(ROOT)}:{leak.lineno}: {ast.unparse(leak)}")
    assert not leaks, "user text into Markdown without kamcore.text.plain:\n" + "\n".join(leaks)
