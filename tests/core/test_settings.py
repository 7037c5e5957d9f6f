"""Configuration is passed in: one Settings object from the environment, then Streamlit secrets,
then defaults; nothing in production code sniffs the environment for itself or for pytest."""

import re
from pathlib import Path

from kamcore import settings, store

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [ROOT / "Home.py", ROOT / "serve.py", *ROOT.glob("pages/*.py"), *ROOT.glob("kamui/*.py"),
              *ROOT.glob("kamcore/**/*.py")]


def test_defaults_when_nothing_is_configured():
    configured = settings.load({}, {})
    assert configured == settings.Settings()
    assert configured.database_path == settings.DEFAULT_DATABASE
    assert configured.debug is False and configured.strict_scopes is False and configured.test_hooks is False
    assert configured.memory_janitor is True


def test_each_setting_reads_its_variable():
    configured = settings.load({"KAM_DB": "~/kam/w.db", "KAM_DEBUG": "1", "KAM_STRICT_SCOPES": "1",
                                "KAM_TEST_HOOKS": "1", "KAM_JANITOR": "0"})
    assert configured.database_path == Path("~/kam/w.db").expanduser()
    assert (configured.debug, configured.strict_scopes, configured.test_hooks, configured.memory_janitor) == (
        True, True, True, False)


def test_the_environment_wins_over_secrets_and_secrets_over_defaults():
    secrets = {"KAM_DB": "/srv/from-secrets.db", "KAM_DEBUG": "1"}
    assert settings.load({}, secrets).database_path == Path("/srv/from-secrets.db")
    assert settings.load({"KAM_DB": "/srv/from-env.db"}, secrets).database_path == Path("/srv/from-env.db")
    assert settings.load({"KAM_DB": "/srv/from-env.db"}, secrets).debug is True


def test_a_blank_value_counts_as_unset():
    assert settings.load({"KAM_DB": "  "}, {"KAM_DB": "/srv/s.db"}).database_path == Path("/srv/s.db")
    assert settings.load({"KAM_DB": ""}).database_path == settings.DEFAULT_DATABASE


def test_only_on_and_off_flags_change_a_switch():
    assert settings.load({"KAM_DEBUG": "yes"}).debug is False
    assert settings.load({"KAM_JANITOR": "1"}).memory_janitor is True


def test_current_follows_a_changed_variable_and_store_reads_it(monkeypatch, tmp_path):
    monkeypatch.setenv("KAM_DB", str(tmp_path / "a.db"))
    first = settings.current()
    assert settings.current() is first  # built once for one configuration
    monkeypatch.setenv("KAM_DB", str(tmp_path / "b.db"))
    assert settings.current().database_path == store.database_path() == tmp_path / "b.db"


def test_secrets_handed_over_are_read_after_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("KAM_DB", raising=False)
    monkeypatch.setattr(settings, "_secrets", {})
    settings.use_secrets({"KAM_DB": str(tmp_path / "s.db"), "unrelated": "x"})
    assert settings._secrets == {"KAM_DB": str(tmp_path / "s.db")}
    assert settings.current().database_path == tmp_path / "s.db"


def test_every_setting_names_its_variable_and_says_what_it_does():
    for f in settings._FIELDS:
        assert re.fullmatch(r"KAM_[A-Z_]+", f.metadata["variable"]) and f.metadata["doc"], f.name
    assert len(set(settings.VARIABLES)) == len(settings.VARIABLES)


def test_production_code_reads_configuration_only_through_settings():
    allowed = {ROOT / "kamcore" / "settings.py", ROOT / "kamcore" / "__main__.py"}  # the CLI's password prompt
    sniffing = [str(p.relative_to(ROOT)) for p in PRODUCTION if p not in allowed
                and re.search(r"os\.environ|os\.getenv|PYTEST_CURRENT_TEST", p.read_text(encoding="utf-8"))]
    assert sniffing == []
