"""Shared rendering for the portfolio pages: flag sentences, contribution tables, numbers, the one-pager."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kamcore import money as money_core
from kamcore.i18n import choice_label, has, t
from kamcore.portfolio.fake_key_accounts import MONEY_NUMBERS, Flag
from kamcore.portfolio.tiering import INDICATORS, MONEY_INDICATORS
from kamui import templates


def money(value: float | None, currency: str | None, lang: str) -> str:
    """An amount (whole units) with its currency and unit: `kamcore.money.fmt`, the one money formatter."""
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
    n = {k: (money(v, flag.currency, lang) if k in MONEY_NUMBERS else v) for k, v in flag.numbers.items()}
    label = t(f"flag.{flag.kind}", lang)
    if flag.kind != "squeezer":
        return f"{label}: {t(f'flag.{flag.kind}.detail', lang, **n)}"
    parts = [t(f"flag.squeezer.{name}", lang, **n)
             for name, key in (("dso", "dso_days"), ("overdue", "overdue_pct"), ("cuts", "price_cuts")) if key in n]
    return f"{label}: {t('flag.squeezer.signals', lang, **n)} " + "; ".join(parts)


def indicator_value(key: str, value: float | None, currency: str | None, lang: str) -> str:
    """An indicator's value as shown: an amount (cumulative revenue…) with its currency and unit, else the number."""
    if key in MONEY_INDICATORS:
        return money(value, currency, lang)
    return "—" if value is None else f"{value:,.1f}".removesuffix(".0")


def contributions_frame(contributions: list[dict[str, Any]], lang: str, currency: str | None) -> pd.DataFrame:
    """Each indicator's family, value (amounts in the account's `currency`), weight and points, as a table."""
    return pd.DataFrame([
        {
            t("field.tiering_criteria.key", lang): t(f"indicator.{c['key']}", lang),
            t("field.definition", lang): t(f"family.{INDICATORS[c['key']][0]}", lang),
            t("field.value", lang): indicator_value(c["key"], c["value"], currency, lang),
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
    """Goals vs actuals as (metric, 'actual of target', attainment) texts (plain text)."""
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


def one_pager_html(card: dict[str, Any], lang: str) -> str:
    """A print-ready HTML 'account on a page', one A4 sheet (kamui/templates/one_pager.html, autoescaped)."""
    tier = card.get("tier")
    position = card.get("position") or {}
    currency = card.get("currency")
    flags = card.get("flags", [])
    tier_line = (" · ".join([tier_badge(tier["tier"], [f.kind for f in flags], lang),
                             choice_label("account_type", tier["account_type"], lang) if tier["account_type"] else "—",
                             t("walk.by_criteria", lang, number=tier["criteria_number"], score=tier["score"])])
                 if tier else t("walk.no_tier", lang))
    posture = position.get("chosen_posture")
    strategy = {"chosen": choice_label("posture", posture, lang) if posture else "—",
                "rationale": position.get("rationale") or "",
                "recommended": choice_label("posture", position.get("recommended_posture"), lang),
                "priority": position.get("priority") or "—"} if position else None
    goals = card.get("goals") or {}
    pipeline = card.get("pipeline")
    rel = card.get("relationships")
    health = card.get("health")
    return templates.render(
        "one_pager.html",
        lang="zh" if lang == "zh" else "en",
        tr=lambda key, **values: t(key, lang, **values),
        name=card["name"], industry=card.get("industry", ""), region=card.get("region", ""), currency=currency,
        tier_line=tier_line,
        contributions=[(t("indicator." + c["key"], lang), f"{c['weight']:g}", indicator_value(c["key"], c["value"], currency, lang), f"{c['points']:.1f}")
                       for c in (tier or {}).get("contributions", [])],
        financials=[(f["year"], money(f["revenue"], currency, lang), money(f["gross_profit"], currency, lang),
                     "—" if f["margin_pct"] is None else f["margin_pct"], f["dso_days"] or "—")
                    for f in card.get("financials", [])],
        goals={"year": goals.get("year", ""), "count": goals.get("count"), "score": goals.get("score"),
               "rows": goal_rows(card, lang)},
        pipeline={"lines": pipeline_lines(pipeline, lang),
                  "closing_sentence": t("walk.closing_soon", lang, count=pipeline["closing_count"],
                                        days=pipeline["closing_days"]),
                  "closing": [closing_text(d, lang) for d in pipeline["closing"]]}
        if pipeline and pipeline["count"] else None,
        relationships={"lines": relationship_lines(rel, lang), "gaps": [f.message(lang) for f in rel["coverage_flags"]]}
        if rel and rel["people"] else None,
        flags=[flag_text(f, lang) for f in flags], strategy=strategy,
        health={"open": health["open"], "total": health["total"], "more": health["total"] - len(health["top"]),
                "top": [{"rule": rule_name(f, lang), "where": health_where(f, lang), "lesson": rule_lesson(f, lang)}
                        for f in health["top"]]} if health is not None else None,
    )
