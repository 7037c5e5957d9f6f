"""Widgets for deal-health rules: the condition builder, the preview of what a rule would flag, and the flag list.

`flag_list(flags)` renders flags from `kamcore.learning.rules` (portfolio, huddle and opportunity pages call it);
`condition_builder(key, initial)` draws up to three conditions picked from typed choices — a stage from the
pipeline, yes/no, a number with its unit, an industry from the accounts — never a typed code;
`rule_preview(db, user, conditions, key)` shows "this rule would flag these N live deals" before saving.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlite_utils import Database

from kamcore import money
from kamcore.errors import KamError
from kamcore.i18n import choice_label
from kamcore.learning import rules
from kamcore.learning.rule_facts import FIELDS, OPS, UNITS, text_choices
from kamcore.pipeline import stage_model
from kamcore.text import plain
from kamcore.users import User
from kamui import context
from kamui.context import lang, tr

ICONS = {"critical": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}
COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}
ROWS = 3
AMOUNTS = frozenset(f for f, unit in UNITS.items() if unit == "deal_currency")  # typed as amounts (kamcore.money)
OP_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


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


def stage_names() -> dict[str, str]:
    """Stage key -> name in the UI language (all stages, retired ones too, so old rules still read well)."""
    return {s["key"]: stage_model.stage_name(s, lang()) for s in stage_model.list_stages(context.db(), False)}


def op_label(op: str) -> str:
    """An operator as a sign or words ('≥', 'is one of'), never its code."""
    return OP_SIGNS.get(op) or tr(f"rule_op.{op}")


def value_text(field: str, value: Any, stages: dict[str, str] | None = None) -> str:
    """A threshold or an actual value in words: stage names, yes/no, numbers with their unit."""
    if isinstance(value, bool):
        return tr("common.yes") if value else tr("common.no")
    if isinstance(value, list):
        return ", ".join(value)
    if FIELDS.get(field) is not None and FIELDS[field].kind == "stage":
        return (stages if stages is not None else stage_names()).get(value, str(value))
    shown = money.as_typed(value) if field in AMOUNTS and isinstance(value, (int, float)) else (
        f"{value:g}" if isinstance(value, float) else str(value))
    unit = UNITS.get(field)
    return f"{shown} {tr(f'unit.{unit}')}" if unit else shown


def condition_text(cond: dict[str, Any], stages: dict[str, str] | None = None) -> str:
    """One condition in words, e.g. 'Days since last activity ≥ 30 days'."""
    return f"{tr('rulefield.' + cond['field'])} {op_label(cond['op'])} {value_text(cond['field'], cond['value'], stages)}"


def flag_list(flags: list[rules.Flag], *, show_account: bool = True, key: str = "flags") -> None:
    """Flags, most severe first: what fired, on which deal, the facts, the lesson, and any acknowledgement."""
    stages = stage_names() if flags else {}
    for flag in flags:
        where = plain(flag.opportunity_name) if flag.opportunity_name else tr("health.account_level")
        if show_account:
            where = f"{plain(flag.account_name)} · {where}"
        muted = " · " + tr("health.acknowledged") if flag.acknowledged else ""
        title = f":{COLOURS[flag.severity]}[**{plain(rule_title(flag))}**]" if not flag.acknowledged else \
            f"**{plain(rule_title(flag))}**"
        with st.expander(f"{title} — {where}{muted}", icon=ICONS[flag.severity]):
            st.markdown(f"*{plain(rule_lesson(flag))}*")
            st.caption(" · ".join(f"{tr('rulefield.' + f['field'])}: {plain(value_text(f['field'], f['actual'], stages))} "
                                  f"({op_label(f['op'])} {plain(value_text(f['field'], f['value'], stages))})"
                                  for f in flag.facts))
            if flag.acknowledged:
                ack = flag.acknowledged
                until = f" ({tr('field.until')} {ack['until']})" if ack.get("until") else ""
                st.info(tr("health.ack_by", name=plain(ack.get("by_name")), reason=plain(ack["reason"])) + until)


def condition_builder(key: str, initial: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Up to three conditions, all of which must hold, each picked from typed choices; rows left on '—' are
    ignored. `initial` fills the rows the first time (editing a rule)."""
    state = st.session_state
    if initial is not None and not state.get(f"{key}._loaded"):
        for row, cond in enumerate(initial[:ROWS]):
            state[f"{key}.field.{row}"] = cond["field"]
            state[f"{key}.op.{row}"] = cond["op"]
            state[f"{key}.value.{row}.{cond['field']}"] = (money.as_typed(cond["value"]) if cond["field"] in AMOUNTS
                                                           else cond["value"])
        state[f"{key}._loaded"] = True
    db = context.db()
    stages = stage_names()
    names = [None, *FIELDS]
    out = []
    for row in range(ROWS):
        left, mid, right = st.columns([3, 1, 2])
        field_name = left.selectbox(tr("health.cond_field", number=row + 1), names, key=f"{key}.field.{row}",
                                    format_func=lambda n: "—" if n is None else tr(f"rulefield.{n}"))
        if field_name is None:
            continue
        kind = FIELDS[field_name].kind
        ops = OPS[kind]
        if state.get(f"{key}.op.{row}") not in ops:
            state.pop(f"{key}.op.{row}", None)
        op = mid.selectbox(tr("health.cond_op"), ops, key=f"{key}.op.{row}", format_func=op_label)
        vkey = f"{key}.value.{row}.{field_name}"
        value: Any
        if kind == "stage":
            value = right.selectbox(tr("health.cond_value"), list(stages), key=vkey, format_func=stages.get)
        elif kind == "bool":
            value = right.radio(tr("health.cond_value"), [True, False], key=vkey, horizontal=True,
                                format_func=lambda b: tr("common.yes") if b else tr("common.no"))
        elif kind in ("integer", "number"):
            spec = FIELDS[field_name]
            unit = UNITS.get(field_name)
            title = tr("health.cond_value") + (f" ({tr(f'unit.{unit}')})" if unit else "")
            if field_name in AMOUNTS:
                typed = right.text_input(title, key=vkey, placeholder=money.EXAMPLE.get(lang(), money.EXAMPLE["en"]))
                try:
                    value = money.parse(typed, field_name, lang())
                except KamError as exc:
                    right.error(plain(exc.message(lang())))
                    value = None
            elif kind == "integer":
                state.setdefault(vkey, 0)
                value = right.number_input(title, min_value=int(spec.low) if spec.low is not None else None,
                                           max_value=int(spec.high) if spec.high is not None else None,
                                           step=1, key=vkey)
            else:
                state.setdefault(vkey, 0.0)
                value = right.number_input(title, min_value=float(spec.low) if spec.low is not None else None,
                                           max_value=float(spec.high) if spec.high is not None else None, key=vkey)
        else:
            choices = text_choices(db, field_name)
            if op in ("in", "not_in"):
                value = right.multiselect(tr("health.cond_value"), choices, key=f"{vkey}.many")
            else:
                value = right.selectbox(tr("health.cond_value"), choices, key=vkey)
        out.append({"field": field_name, "op": op, "value": value})
    return out


def rule_preview(db: Database, user: User, conditions: list[dict[str, Any]], key: str) -> bool:
    """'This rule would flag these N live deals', listed; a rule that matches every live deal is warned about
    and saving it needs a tick. Returns whether that tick is given."""
    if not conditions:
        st.caption(tr("rules.preview_none"))
        return False
    try:
        found = rules.preview(db, user, conditions)
    except KamError as exc:
        st.warning(plain(exc.message(lang())))
        return False
    flags = found["flags"]
    noun = "rules.preview_deals" if found["scope"] == "opportunity" else "rules.preview_accounts"
    st.markdown(tr(noun, count=len(flags), company=int(found["company_count"])))  # the scope of each count stated
    if flags:
        st.caption(" · ".join(f"{plain(f.account_name)} — {plain(f.opportunity_name or tr('health.account_level'))}"
                              for f in flags[:30]) + (" …" if len(flags) > 30 else ""))
    if found["matches_all"]:
        st.warning(tr("rules.preview_matches_all", count=found["subjects"]))
        return st.checkbox(tr("rules.save_anyway"), key=f"{key}.allow_all")
    return False


def severity_label(value: str) -> str:
    """The severity in the UI language."""
    return choice_label("severity", value, lang())
