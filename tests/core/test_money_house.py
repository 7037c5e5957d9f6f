"""House rule: money is stored in whole units of its currency and shown by one formatter.

Fails on an amount formatted outside `kamcore.money.fmt` (an f-string number format on an amount-named value
in pages/, kamui/ or kamcore/), on the stored unit coming back ("k CNY", "千元", "thousands", STORED_UNIT,
unit_label), and on a money input that is a number box instead of the one parser."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

CODE = [p for folder in ("pages", "kamui", "kamcore") for p in sorted((ROOT / folder).rglob("*.py"))] + [ROOT / "Home.py"]
FORMATTER = ROOT / "kamcore" / "money_format.py"
# an f-string or format() number spec applied to a value whose name says it is money
AMOUNT_NAME = r"[\w\]'\"\[.]*(?:amount|revenue|budget|potential|wallet|won_value|planned|spent|gross_profit|" \
              r"receivable|price|value_k|weighted|covered)[\w\]'\"\[.]*"
SPEC = re.compile(r"\{" + AMOUNT_NAME + r"(?:\s*[*/]\s*[\d.e]+)?:[,_]?\.?\d*[fgk%,]")
STORED_UNIT = re.compile(r"STORED_UNIT|unit_label|stored=|k CNY|千元|in thousands|\(thousands\)|（千）")
MONEY_WIDGET = re.compile(r"number_input\(\s*[^)]*field\.(amount|budget_planned|budget_spent|potential_sales|wallet|"
                          r"revenue|gross_profit|review_amount)")


def _lines(path: Path) -> list[tuple[int, str]]:
    return list(enumerate(path.read_text(encoding="utf-8").splitlines(), start=1))


def test_no_amount_is_formatted_outside_the_one_formatter():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in CODE if p != FORMATTER
             for n, line in _lines(p) if SPEC.search(line)]
    assert found == [], "format amounts with kamcore.money.fmt:\n" + "\n".join(found)


def test_no_code_speaks_of_the_stored_thousands():
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in CODE
             for n, line in _lines(p) if STORED_UNIT.search(line)]
    assert found == [], "\n".join(found)


def test_money_inputs_are_read_by_the_one_parser():
    text = {p: p.read_text(encoding="utf-8") for p in CODE if p.parent.name in ("pages", "kamui")}
    found = [f"{p.relative_to(ROOT)}: {m.group(0)[:60]}" for p, source in text.items()
             for m in MONEY_WIDGET.finditer(source)]
    assert found == [], "type amounts with kamui.amounts.amount_input and kamcore.money.parse:\n" + "\n".join(found)


def test_the_house_checks_catch_what_they_are_for():
    assert SPEC.search('f"{currency} {plan[\'spent\']:,.1f}k"')
    assert SPEC.search('value=f"{figures[\'won_value\']:,.0f}"')
    assert not SPEC.search('f"{summary[\'score_moved\']:+d}"')
    assert STORED_UNIT.search('"walk.unit": ("money in k CNY", "金额单位：千元人民币")')
    assert MONEY_WIDGET.search('right.number_input(t("field.amount"), min_value=0.0, key="opp.new.amount")')
