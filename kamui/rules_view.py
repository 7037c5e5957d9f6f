"""Widgets for deal-health rules: the condition builder and the flag list (other pages may show flags too).

`flag_list(flags)` renders flags from `kamcore.learning.rules` (portfolio, huddle and opportunity pages can call it);
`condition_builder(key)` draws up to three field/operator/threshold rows and returns the conditions typed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from kamcore.i18n import choice_label
from kamcore.learning import rules
from kamcore.learning.rule_facts import FIELDS, OPS
from kamui.context import lang, tr

ICONS = {"critical": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}
ROWS = 3


def rule_title(rule: dict[str, Any] | Any) -> str:
    """A rule's display name: built-in rules in the UI language, the team's own as written."""
    code = rule.get("code") if isinstance(rule, dict) else rule.rule_code
    name = rule.get("name") if isinstance(rule, dict) else rule.rule_name
    key = f"rule.{code}.name"
    return tr(key) if code and tr(key) != key else str(name)


def rule_lesson(rule: dict[str, Any] | Any) -> str:
    """The lesson behind a rule, translated for built-in rules."""
    code = rule.get("code") if isinstance(rule, dict) else rule.rule_code
    text = rule.get("lesson") if isinstance(rule, dict) else rule.lesson
    key = f"rule.{code}.lesson"
    return tr(key) if code and tr(key) != key else str(text)


def condition_text(cond: dict[str, Any]) -> str:
    """One condition in words, e.g. 'Days since last activity ≥ 30'."""
    value = cond["value"]
    if isinstance(value, bool):
        value = tr("common.yes") if value else tr("common.no")
    elif isinstance(value, list):
        value = ", ".join(value)
    return f"{tr('rulefield.' + cond['field'])} {cond['op']} {value}"


def flag_list(flags: list[rules.Flag], *, show_account: bool = True, key: str = "flags") -> None:
    """Flags, most severe first: what fired, on which deal, the facts, the lesson, and any acknowledgement."""
    for flag in flags:
        where = flag.opportunity_name or tr("health.account_level")
        if show_account:
            where = f"{flag.account_name} · {where}"
        muted = " · " + tr("health.acknowledged") if flag.acknowledged else ""
        title = f":{COLOURS[flag.severity]}[**{rule_title(flag)}**]" if not flag.acknowledged else \
            f"**{rule_title(flag)}**"
        with st.expander(f"{title} — {where}{muted}", icon=ICONS[flag.severity]):
            st.markdown(f"*{rule_lesson(flag)}*")
            st.caption(" · ".join(f"{tr('rulefield.' + f['field'])}: {_value(f['actual'])} "
                                  f"({f['op']} {_value(f['value'])})" for f in flag.facts))
            if flag.acknowledged:
                ack = flag.acknowledged
                until = f" ({tr('field.until')} {ack['until']})" if ack.get("until") else ""
                st.info(tr("health.ack_by", name=ack.get("by_name") or "—", reason=ack["reason"]) + until)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return tr("common.yes") if value else tr("common.no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def condition_builder(key: str) -> list[dict[str, Any]]:
    """Up to three conditions, all of which must hold; rows left on '—' are ignored."""
    names = [None, *FIELDS]
    out = []
    for row in range(ROWS):
        left, mid, right = st.columns([3, 1, 2])
        field_name = left.selectbox(tr("health.cond_field", number=row + 1), names, key=f"{key}.field.{row}",
                                    format_func=lambda n: "—" if n is None else tr(f"rulefield.{n}"))
        ops = OPS[FIELDS[field_name].kind] if field_name else ("==",)
        op = mid.selectbox(tr("health.cond_op"), ops, key=f"{key}.op.{row}")
        hint = tr(f"type.{FIELDS[field_name].kind}") if field_name else ""
        text = right.text_input(tr("health.cond_value"), key=f"{key}.value.{row}", placeholder=hint)
        if field_name:
            out.append(rules.condition_from_text(field_name, op, text))
    return out


def severity_label(value: str) -> str:
    """The severity in the UI language."""
    return choice_label("severity", value, lang())
