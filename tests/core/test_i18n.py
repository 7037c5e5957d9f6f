"""Both languages are complete for every key the UI uses."""

import re
from pathlib import Path

from kamcore.i18n import CONFLICTS, TABLE, t

ROOT = Path(__file__).resolve().parents[2]
# literal keys passed to t(...), tr(...), page.t(...)
KEY_USE = re.compile(r"""\b(?:t|tr)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _used_keys() -> set[str]:
    files = [ROOT / "Home.py", *ROOT.glob("pages/*.py"), *ROOT.glob("kamui/*.py"), *ROOT.glob("kamcore/**/*.py")]
    return {key for f in files for key in KEY_USE.findall(f.read_text(encoding="utf-8"))}


def test_every_key_has_english_and_chinese():
    missing = [k for k, (en, zh) in TABLE.items() if not en.strip() or not zh.strip()]
    assert not missing


def test_every_key_used_in_code_is_translated():
    unknown = sorted(k for k in _used_keys() if k not in TABLE)
    assert not unknown, unknown


def test_shared_keys_are_not_defined_twice_with_different_text():
    assert not CONFLICTS, CONFLICTS


def test_placeholders_match_between_languages():
    fields = re.compile(r"{(\w+)}")
    bad = [k for k, (en, zh) in TABLE.items() if set(fields.findall(en)) != set(fields.findall(zh))]
    assert not bad, bad


def test_d12_vocabulary_is_used_for_team_roles():
    assert t("role.account_manager", "zh").startswith("客户经理")
    assert t("role.solution_manager", "zh").startswith("解决方案经理")
    assert t("role.delivery_manager", "zh").startswith("交付经理")
