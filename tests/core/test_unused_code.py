"""No unused code: vulture finds no function, method, class or import that nothing uses.

Framework hooks it cannot see are passed as decorators (pydantic validators, agenda providers, pytest
fixtures and hooks); anything else kept on purpose is named, with its reason, in
tests/unused_code_whitelist.py. Variables and attributes are not checked: pydantic and dataclass fields
are read by the frameworks, and vulture reports every one.
"""

import subprocess
import sys
from pathlib import Path

import vulture  # noqa: F401 - a dev requirement: the check must run, not skip

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["Home.py", "serve.py", "pages", "kamui", "kamcore", "db", "scripts", "tests"]
HOOKS = ["@field_validator", "@model_validator", "@provider", "@pytest.fixture", "@pytest.hookimpl",
         "@st.cache_data", "@st.cache_resource"]
CHECKED = ("unused function", "unused method", "unused class", "unused property", "unused import",
           "unreachable code")


def vulture_findings() -> list[str]:
    """vulture's report on the repository, less variables and attributes."""
    done = subprocess.run([sys.executable, "-m", "vulture", *PATHS, "tests/unused_code_whitelist.py",
                           "--min-confidence", "60", "--ignore-decorators", ",".join(HOOKS),
                           "--ignore-names", "pytest_*"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 3), done.stderr  # 3: vulture found something
    return [line for line in done.stdout.splitlines() if any(kind in line for kind in CHECKED)]


def test_nothing_is_left_that_nothing_uses():
    assert vulture_findings() == [], ("remove what nothing calls, or give a screen the function it misses; "
                                      "see tests/unused_code_whitelist.py for what is kept on purpose")
