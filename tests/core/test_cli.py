"""The operator command line: python -m kamcore …"""

import sqlite3
import subprocess
import sys

from kamcore.__main__ import main
from tests.conftest import ROOT


def test_create_user_reset_password_and_backup(tmp_path, monkeypatch, capsys):
    path = tmp_path / "ops.db"
    monkeypatch.setenv("KAM_PASSWORD", "first-password")
    assert main(["--db", str(path), "create-user", "ops", "Ops Person", "--role", "admin"]) == 0
    monkeypatch.setenv("KAM_PASSWORD", "second-password")
    assert main(["--db", str(path), "reset-password", "ops"]) == 0
    from kamcore import store, users
    assert users.authenticate(store.connect(path), "ops", "second-password")
    backup = tmp_path / "b.db"
    assert main(["--db", str(path), "backup", str(backup)]) == 0
    assert sqlite3.connect(backup).execute("SELECT username FROM users").fetchall() == [("ops",)]


def test_reset_password_for_an_unknown_user_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KAM_PASSWORD", "whatever-123")
    assert main(["--db", str(tmp_path / "x.db"), "reset-password", "ghost"]) == 2
    assert "no user" in capsys.readouterr().err


def test_load_demo_refuses_a_database_that_already_has_users(tmp_path, monkeypatch, capsys):
    path = tmp_path / "y.db"
    monkeypatch.setenv("KAM_PASSWORD", "first-password")
    main(["--db", str(path), "create-user", "ops", "Ops"])
    assert main(["--db", str(path), "load-demo"]) == 2


def test_kamcore_never_imports_streamlit():
    code = (
        "import importlib, pkgutil, sys, kamcore\n"
        "for m in pkgutil.walk_packages(kamcore.__path__, 'kamcore.'):\n"
        "    importlib.import_module(m.name)\n"
        "assert 'streamlit' not in sys.modules, 'kamcore imported streamlit'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
