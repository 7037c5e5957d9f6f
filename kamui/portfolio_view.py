"""Shared rendering for the portfolio pages: flag sentences, contribution tables, numbers, the one-pager."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from kamcore.fake_accounts import Flag
from kamcore.i18n import choice_label, t
from kamcore.tiering import INDICATORS


def money(value: float | None) -> str:
    """A figure in the reporting unit with thousands separators, or an em dash."""
    return "—" if value is None else f"{value:,.0f}"


def flag_text(flag: Flag, lang: str) -> str:
    """One flag as a sentence with the numbers behind it."""
    n = {k: (f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 1000 else v) for k, v in flag.numbers.items()}
    label = t(f"flag.{flag.kind}", lang)
    if flag.kind != "squeezer":
        return f"{label}: {t(f'flag.{flag.kind}.detail', lang, **n)}"
    parts = [t(f"flag.squeezer.{name}", lang, **n)
             for name, key in (("dso", "dso_days"), ("overdue", "overdue_pct"), ("cuts", "price_cuts")) if key in n]
    return f"{label}: {t('flag.squeezer.signals', lang, **n)} " + "; ".join(parts)


def contributions_frame(contributions: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """Each indicator's family, value, weight and points, as a table."""
    return pd.DataFrame([
        {
            t("field.tiering_criteria.key", lang): t(f"indicator.{c['key']}", lang),
            t("field.definition", lang): t(f"family.{INDICATORS[c['key']][0]}", lang),
            t("field.value", lang): "—" if c["value"] is None else round(c["value"], 1),
            t("field.weight", lang): c["weight"],
            t("field.score", lang): round(c["points"], 1),
        }
        for c in contributions
    ])


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def one_pager_html(card: dict[str, Any], lang: str) -> str:
    """A print-ready HTML 'account on a page' (every piece of user text escaped)."""
    e = html.escape
    tier = card.get("tier")
    position = card.get("position") or {}
    rows = "".join(
        f"<tr><td>{e(t('indicator.' + c['key'], lang))}</td><td>{c['weight']:g}</td>"
        f"<td>{_num(c['value'])}</td>"
        f"<td>{c['points']:.1f}</td></tr>"
        for c in (tier or {}).get("contributions", [])
    )
    figures = "".join(
        f"<tr><td>{f['year']}</td><td>{money(f['revenue'])}</td><td>{money(f['gross_profit'])}</td>"
        f"<td>{'—' if f['margin_pct'] is None else f['margin_pct']}</td><td>{f['dso_days'] or '—'}</td></tr>"
        for f in card.get("financials", [])
    )
    flags = "".join(f"<li>{e(flag_text(f, lang))}</li>" for f in card.get("flags", [])) or \
        f"<li>{e(t('walk.no_flags', lang))}</li>"
    tier_line = (f"{e(t('tier.' + tier['tier'], lang))} · "
                 f"{e(choice_label('account_type', tier['account_type'], lang)) if tier['account_type'] else '—'} · "
                 f"{e(t('walk.by_criteria', lang, number=tier['criteria_number'], score=tier['score']))}"
                 if tier else e(t("walk.no_tier", lang)))
    posture = position.get("chosen_posture")
    strategy = (f"<p><b>{e(t('field.chosen_posture', lang))}:</b> "
                f"{e(choice_label('posture', posture, lang)) if posture else '—'} — {e(position.get('rationale') or '')}</p>"
                f"<p><b>{e(t('field.recommended_posture', lang))}:</b> "
                f"{e(choice_label('posture', position.get('recommended_posture'), lang))}"
                f" · <b>{e(t('field.priority', lang))}:</b> {position.get('priority') or '—'}</p>"
                if position else "")
    head = (f"<tr><th>{e(t('field.tiering_criteria.key', lang))}</th><th>{e(t('field.weight', lang))}</th>"
            f"<th>{e(t('field.value', lang))}</th><th>{e(t('field.score', lang))}</th></tr>")
    fhead = (f"<tr><th>{e(t('field.year', lang))}</th><th>{e(t('field.revenue', lang))}</th>"
             f"<th>{e(t('field.gross_profit', lang))}</th><th>{e(t('field.margin_pct', lang))}</th>"
             f"<th>{e(t('field.dso_days', lang))}</th></tr>")
    return f"""<!doctype html><html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{e(card['name'])}</title>
<style>body{{font-family:sans-serif;max-width:190mm;margin:10mm auto;color:#111}}
h1{{font-size:22pt;margin:0}} h2{{font-size:13pt;margin:14px 0 4px}} p,li,td,th{{font-size:10.5pt}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #bbb;padding:3px 6px;text-align:left}}
.sub{{color:#555}} @page{{size:A4;margin:12mm}}</style></head><body>
<h1>{e(card['name'])}</h1><p class="sub">{e(card.get('industry', ''))} · {e(card.get('region', ''))} ·
{e(t('walk.unit', lang))}</p>
<h2>{e(t('walk.why_key', lang))}</h2><p>{tier_line}</p><table>{head}{rows}</table>
<h2>{e(t('walk.how_doing', lang))}</h2><table>{fhead}{figures}</table>
<h2>{e(t('walk.at_risk', lang))}</h2><ul>{flags}</ul>
<h2>{e(t('walk.strategy', lang))}</h2>{strategy or '<p>—</p>'}
</body></html>"""
