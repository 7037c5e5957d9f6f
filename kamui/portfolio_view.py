"""Shared rendering for the portfolio pages: flag sentences, contribution tables, numbers, the one-pager."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from kamcore import money as money_core
from kamcore.i18n import choice_label, has, t
from kamcore.portfolio.fake_key_accounts import Flag
from kamcore.portfolio.tiering import INDICATORS


def money(value: float | None, currency: str | None, lang: str) -> str:
    """An amount (stored unit) with its currency and unit: `kamcore.money.fmt`, the one money formatter."""
    return money_core.fmt(value, currency, lang)


def money_by_currency(amounts: dict[str, float] | None, lang: str) -> str:
    """{currency: amount} as "CNY 1.2 M · USD 340 k" (each in its own currency), or an em dash."""
    return " · ".join(money(v, c, lang) for c, v in sorted((amounts or {}).items())) or "—"


def tier_badge(tier: str | None, flags: list[str], lang: str) -> str:
    """The tier with the fake-key-account warning beside it: "Key account ⚠ One-off buyer" (plain text)."""
    label = choice_label("tier", tier, lang) if tier else "—"
    if not flags:
        return label
    return f"{label} ⚠ " + ", ".join(choice_label("flag", f, lang) for f in flags)


def total_text(total: dict, lang: str) -> str:
    """A cross-account total in the reporting currency, saying at which rates and what stayed unconverted."""
    text = money(total["amount"], total["currency"], lang)
    if total["rates"]:
        rates = ", ".join(f"{c} {r:g}" for c, r in sorted(total["rates"].items()))
        text += " " + t("money.converted_at", lang, year=total["year"] or "—", rates=rates,
                        currency=total["currency"])
    if total["unconverted"]:
        text += " " + t("money.plus_unconverted", lang, amounts=money_by_currency(total["unconverted"], lang),
                        year=total["year"] or "—")
    return text


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


def percent(value: float | None) -> str:
    """A percentage without decimals, or an em dash."""
    return "—" if value is None else f"{value:.0f}%"


def goal_line(card: dict[str, Any], metric: str) -> dict[str, Any] | None:
    """This year's goal line of one financial metric from the card, if the account has one."""
    return next((g for g in (card.get("goals") or {}).get("lines", []) if g["metric"] == metric), None)


def headline(card: dict[str, Any], lang: str) -> list[tuple[str, str, str | None]]:
    """The walk-through's headline figures as (label, value, delta): revenue of the measured year (change on the
    year before), margin, DSO, revenue goal reached, scorecard score, priority."""
    figures = card["financials"]
    revenue = card["revenue"]  # the same financials row the revenue goal's actual is measured from
    latest = next((f for f in figures if revenue and f["year"] == revenue["year"]), None)
    previous = next((f for f in figures if revenue and f["year"] == revenue["year"] - 1), None)
    if latest:
        delta = None
        if previous and previous["revenue"]:
            delta = f"{100 * (latest['revenue'] - previous['revenue']) / previous['revenue']:+.0f}%"
        out = [(t("money.revenue_year", lang, year=revenue["year"]), money(revenue["amount"], revenue["currency"], lang),
                delta),
               (t("field.margin_pct", lang), "—" if latest["margin_pct"] is None else f"{latest['margin_pct']:.1f}%",
                None),
               (t("field.dso_days", lang), "—" if latest["dso_days"] is None else f"{latest['dso_days']:.0f}", None)]
    else:
        out = [(t("field.revenue", lang), "—", None), ("", "", None), ("", "", None)]
    revenue_goal = goal_line(card, "revenue")
    score = card["goals"]["score"]
    priority = (card["position"] or {}).get("priority")
    return out + [
        (t("walk.goal_reached", lang, metric=t("metric.revenue", lang)),
         percent(revenue_goal["attainment_pct"]) if revenue_goal else "—", None),
        (t("plan.score", lang), "—" if score is None else f"{score:.0f}", None),
        (t("field.priority", lang), f"P{priority}" if priority else "—", None),
    ]


def goal_rows(card: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """Goals vs actuals as (metric, 'actual of target', attainment) texts (plain: escape before HTML)."""
    out = []
    for g in (card.get("goals") or {}).get("lines", []):
        currency = card.get("currency")
        done = t("walk.not_measured", lang) if g["actual"] is None else \
            t("walk.goal_line", lang, actual=money(g["actual"], currency, lang), target=money(g["target"], currency, lang))
        out.append((t(f"metric.{g['metric']}", lang), done, percent(g["attainment_pct"])))
    return out


def pipeline_lines(pipeline: dict[str, Any], lang: str) -> list[str]:
    """The open pipeline in sentences: count, then per currency unweighted and weighted (plain text)."""
    lines = [t("walk.open_deals", lang, count=pipeline["count"])]
    lines += [t("money.pipe_amounts", lang, amount=money(b["amount"], c, lang), weighted=money(b["weighted"], c, lang))
              for c, b in pipeline["by_currency"].items()]
    return lines


def closing_text(deal: dict[str, Any], lang: str) -> str:
    """A deal closing soon: name · amount · expected close · stage (win %), plain text."""
    stage = deal.get("stage_name_zh" if lang == "zh" else "stage_name_en") or deal["stage"]
    late = f" ({t('walk.overdue', lang)})" if deal["overdue"] else ""
    return (f"{deal['name']} · {money(deal['amount'], deal['currency'], lang)} · {deal['expected_close']}{late} · "
            f"{stage} {deal['win_probability']}%")


def relationship_lines(rel: dict[str, Any], lang: str) -> list[str]:
    """Relationship level and supportive people, plain text (empty when nobody is mapped)."""
    if not rel["people"]:
        return []
    lines = []
    if rel["average"] is not None:
        lines.append(t("walk.rel_level", lang, average=f"{rel['average']:.2f}"))
    lines.append(t("walk.rel_people", lang, supportive=rel["supportive"], people=rel["people"]))
    return lines


def stance_line(counts: dict[str, int], lang: str) -> str:
    """`scale.stance_counts` of one account as a sentence: supportive of people, then each stance (plain text)."""
    parts = [t("walk.rel_people", lang, supportive=counts["supportive"], people=counts["total"])]
    parts += [f"{choice_label('stance', s, lang)} {counts[s]}" for s in ("coach", "supporter", "neutral", "opponent",
                                                                          "blocker")]
    return " · ".join(parts)


def rule_name(flag: Any, lang: str) -> str:
    """A deal-health flag's rule name: built-in rules translated, the team's own as written."""
    key = f"rule.{flag.rule_code}.name"
    return t(key, lang) if flag.rule_code and has(key) else str(flag.rule_name)


def rule_lesson(flag: Any, lang: str) -> str:
    """The lesson behind a deal-health flag's rule, translated for built-in rules."""
    key = f"rule.{flag.rule_code}.lesson"
    return t(key, lang) if flag.rule_code and has(key) else str(flag.lesson)


def health_where(flag: Any, lang: str) -> str:
    """On which deal the flag fired, or 'account' for account-level rules."""
    return flag.opportunity_name or t("health.account_level", lang)


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
        f"<tr><td>{f['year']}</td><td>{e(money(f['revenue'], card.get('currency'), lang))}</td>"
        f"<td>{e(money(f['gross_profit'], card.get('currency'), lang))}</td>"
        f"<td>{'—' if f['margin_pct'] is None else f['margin_pct']}</td><td>{f['dso_days'] or '—'}</td></tr>"
        for f in card.get("financials", [])
    )
    flags = "".join(f"<li>{e(flag_text(f, lang))}</li>" for f in card.get("flags", [])) or \
        f"<li>{e(t('walk.no_flags', lang))}</li>"
    tier_line = (f"{e(tier_badge(tier['tier'], [f.kind for f in card.get('flags', [])], lang))} · "
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
    goals = card.get("goals") or {}
    year = goals.get("year", "")
    goal_table = "".join(f"<tr><td>{e(m)}</td><td>{e(done)}</td><td>{e(pct)}</td></tr>"
                         for m, done, pct in goal_rows(card, lang))
    goal_part = (f"<table><tr><th>{e(t('field.metric', lang))}</th><th>{e(t('field.actual', lang))} / "
                 f"{e(t('field.target', lang))}</th><th>%</th></tr>{goal_table}</table>" if goal_table else "")
    if goals.get("score") is not None:
        goal_part += f"<p><b>{e(t('plan.score', lang))}:</b> {goals['score']:.1f}</p>"
    if not goals.get("count"):
        goal_part = f"<p>{e(t('walk.no_goals', lang, year=year))}</p>"
    pipeline = card.get("pipeline")
    if pipeline and pipeline["count"]:
        closing = "".join(f"<li>{e(closing_text(d, lang))}</li>" for d in pipeline["closing"])
        pipe_part = (f"<p>{'<br>'.join(e(x) for x in pipeline_lines(pipeline, lang))}</p>"
                     f"<p>{e(t('walk.closing_soon', lang, count=pipeline['closing_count'], days=pipeline['closing_days']))}"
                     f"</p>{f'<ul>{closing}</ul>' if closing else ''}")
    else:
        pipe_part = f"<p>{e(t('walk.no_deals', lang))}</p>"
    rel = card.get("relationships")
    if rel and rel["people"]:
        gaps = "".join(f"<li>{e(f.message(lang))}</li>" for f in rel["coverage_flags"]) or \
            f"<li>{e(t('walk.no_coverage_flags', lang))}</li>"
        rel_part = f"<p>{' · '.join(e(x) for x in relationship_lines(rel, lang))}</p><ul>{gaps}</ul>"
    else:
        rel_part = f"<p>{e(t('walk.no_people', lang))}</p>"
    health = card.get("health")
    health_part = ""
    if health is not None:
        items = "".join(f"<li><b>{e(rule_name(f, lang))}</b> — {e(health_where(f, lang))}<br>"
                        f"<i>{e(rule_lesson(f, lang))}</i></li>" for f in health["top"])
        more = health["total"] - len(health["top"])
        if more > 0:
            items += f"<li>{e(t('walk.more', lang, count=more))}</li>"
        health_part = (f"<h3>{e(t('walk.health_flags', lang, open=health['open'], total=health['total']))}</h3>"
                       f"<ul>{items or '<li>' + e(t('health.no_flags', lang)) + '</li>'}</ul>")
    head = (f"<tr><th>{e(t('field.tiering_criteria.key', lang))}</th><th>{e(t('field.weight', lang))}</th>"
            f"<th>{e(t('field.value', lang))}</th><th>{e(t('field.score', lang))}</th></tr>")
    fhead = (f"<tr><th>{e(t('field.year', lang))}</th><th>{e(t('field.revenue', lang))}</th>"
             f"<th>{e(t('field.gross_profit', lang))}</th><th>{e(t('field.margin_pct', lang))}</th>"
             f"<th>{e(t('field.dso_days', lang))}</th></tr>")
    return f"""<!doctype html><html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{e(card['name'])}</title>
<style>body{{font-family:sans-serif;max-width:190mm;margin:10mm auto;color:#111}}
h1{{font-size:22pt;margin:0}} h2{{font-size:13pt;margin:14px 0 4px}} h3{{font-size:11pt;margin:8px 0 2px}} p,li,td,th{{font-size:10.5pt}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #bbb;padding:3px 6px;text-align:left}}
.sub{{color:#555}} @page{{size:A4;margin:12mm}}</style></head><body>
<h1>{e(card['name'])}</h1><p class="sub">{e(card.get('industry', ''))} · {e(card.get('region', ''))} ·
{e(t('money.amounts_in', lang, currency=card.get('currency') or '—'))}</p>
<h2>{e(t('walk.why_key', lang))}</h2><p>{tier_line}</p><table>{head}{rows}</table>
<h2>{e(t('walk.how_doing', lang))}</h2><table>{fhead}{figures}</table>
<h2>{e(t('walk.goals', lang, year=year))}</h2>{goal_part}
<h2>{e(t('walk.pipeline', lang))}</h2>{pipe_part}
<h2>{e(t('walk.relationships', lang))}</h2>{rel_part}
<h2>{e(t('walk.at_risk', lang))}</h2><h3>{e(t('walk.fake_flags', lang))}</h3><ul>{flags}</ul>{health_part}
<h2>{e(t('walk.strategy', lang))}</h2>{strategy or '<p>—</p>'}
</body></html>"""
