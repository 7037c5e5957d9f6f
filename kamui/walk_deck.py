"""The executive walk-through as a PowerPoint deck (issue 31 item 4): one 16:9 slide per account, in the walk's
order, with the same figures as the screen — the card is `kamcore.portfolio.overview.account_card` and every
sentence comes from the same `kamui.portfolio_view` helpers the walk-through page draws with.

No font is shipped: the text names a font and the reader's PowerPoint (or LibreOffice) supplies it — Chinese in
"Microsoft YaHei" (falling back to the viewer's own CJK font, e.g. Noto Sans CJK SC), Latin in "Calibri".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt
from sqlite_utils import Database

from kamcore.errors import ValidationError
from kamcore.i18n import choice_label, t
from kamcore.portfolio import overview
from kamcore.users import User
from kamui import context
from kamui.portfolio_view import (
    closing_text,
    flag_text,
    goal_rows,
    headline,
    health_where,
    pipeline_lines,
    relationship_lines,
    rule_name,
    tier_badge,
)

FONTS = {"en": ("Calibri", "Microsoft YaHei"), "zh": ("Microsoft YaHei", "Microsoft YaHei")}  # (latin, east asian)
RISK = RGBColor(0xB3, 0x26, 0x1E)
GREY = RGBColor(0x55, 0x55, 0x55)
FIGURE_SHARES = (2.2, 1, 1, 1, 1, 0.8)  # money with its unit needs the room (as on the screen)
WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 16:9, PowerPoint's own widescreen size (13.333 × 7.5 in)


def badge(card: dict[str, Any], lang: str) -> str:
    """Tier · type, with the fake-key-account warning beside it (plain text, as on the screen)."""
    tier = card["tier"]
    if not tier:
        return t("walk.no_tier", lang)
    text = f"{choice_label('tier', tier['tier'], lang)} · " + (
        choice_label("account_type", tier["account_type"], lang) if tier["account_type"] else "—")
    fake = [f.kind for f in card["flags"]]
    return text + (f" {tier_badge(None, fake, lang).removeprefix('— ')}" if fake else "")


def sections(card: dict[str, Any], lang: str) -> dict[str, list[tuple[str, bool]]]:
    """The walk-through's blocks of one account as (line, is a risk) lists: goals, pipeline, relationships and
    health, at risk, strategy."""
    goals = card["goals"]
    goal_lines = [(f"{metric}: {done} · {pct}", False) for metric, done, pct in goal_rows(card, lang)]
    if not goals["count"]:
        goal_lines.append((t("walk.no_goals", lang, year=goals["year"]), False))
    if goals["score"] is not None:
        goal_lines.append((f"{t('plan.score', lang)}: {goals['score']:.1f}", False))
    pipe = card["pipeline"]
    if pipe["count"]:
        pipe_lines = [(x, False) for x in pipeline_lines(pipe, lang)]
        pipe_lines.append((t("walk.closing_soon", lang, count=pipe["closing_count"], days=pipe["closing_days"]), False))
        pipe_lines += [(f"· {closing_text(d, lang)}", bool(d["overdue"])) for d in pipe["closing"]]
    else:
        pipe_lines = [(t("walk.no_deals", lang), False)]
    rel = card["relationships"]
    rel_lines = [(x, False) for x in relationship_lines(rel, lang)] or [(t("walk.no_people", lang), False)]
    if rel["people"]:
        rel_lines += [(f.message(lang), True) for f in rel["coverage_flags"]] or \
            [(t("walk.no_coverage_flags", lang), False)]
    score = card["health_score"]
    rel_lines.append((f"{t('ahealth.score', lang)}: {score['score']} / 100", False))
    weakest = sorted(score["components"], key=lambda c: c["value"])[:2]
    rel_lines.append((" · ".join(f"{t('ahealth.' + c['key'], lang)} {c['value']:.0f}" for c in weakest), False))
    health = card["health"]
    risk_lines = [(t("walk.fake_flags", lang), False)]
    risk_lines += [(flag_text(f, lang), True) for f in card["flags"]] or [(t("walk.no_flags", lang), False)]
    risk_lines.append((t("walk.health_flags", lang, open=health["open"], total=health["total"]), False))
    risk_lines += [(f"{rule_name(f, lang)} — {health_where(f, lang)}", True) for f in health["top"]]
    if health["total"] > len(health["top"]):
        risk_lines.append((t("walk.more", lang, count=health["total"] - len(health["top"])), False))
    pos = card["position"] or {}
    if pos:
        chosen = choice_label("posture", pos["chosen_posture"], lang) if pos.get("chosen_posture") else "—"
        recommended = choice_label("posture", pos["recommended_posture"], lang) if pos.get("recommended_posture") \
            else "—"
        strategy = [(f"{chosen} ({t('walk.recommended', lang)}: {recommended})", False)]
        strategy += [(pos["rationale"], False)] if pos.get("rationale") else []
    else:
        strategy = [(t("walk.no_position", lang), False)]
    return {
        t("walk.goals", lang, year=goals["year"]): goal_lines,
        t("walk.pipeline", lang): pipe_lines,
        t("walk.relationships", lang): rel_lines,
        t("walk.at_risk", lang): risk_lines,
        t("walk.strategy", lang): strategy,
    }


def _font(run, lang: str, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    latin, east_asian = FONTS.get(lang, FONTS["en"])
    run.font.name = latin
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    properties = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):  # PowerPoint takes Chinese glyphs from the east-asian font, not the latin one
        existing = properties.find(qn(tag))
        if existing is not None:
            properties.remove(existing)
        element = properties.makeelement(qn(tag), {"typeface": east_asian})
        properties.append(element)


def _box(slide, left: Emu, top: Emu, width: Emu, height: Emu, lines: list[tuple[str, bool]], lang: str, size: float,
         heading: str | None = None) -> None:
    frame = slide.shapes.add_textbox(left, top, width, height).text_frame
    frame.word_wrap = True
    first = True
    if heading:
        paragraph = frame.paragraphs[0]
        _font(paragraph.add_run(), lang, size + 3, bold=True)
        paragraph.runs[0].text = heading
        first = False
    for text, risky in lines:
        paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
        first = False
        run = paragraph.add_run()
        run.text = text
        _font(run, lang, size, color=RISK if risky else None)


def _slide(deck, card: dict[str, Any], lang: str, number: int, total: int) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    margin = Inches(0.45)
    inner = WIDTH - 2 * margin
    _box(slide, margin, Inches(0.3), inner, Inches(0.7), [(card["name"], False)], lang, 32)
    slide.shapes[-1].name = "title"
    subtitle = f"{badge(card, lang)}  ·  {card['industry']} · {card['region']} · " \
               f"{t('money.amounts_in', lang, currency=card['currency'])}"
    _box(slide, margin, Inches(0.95), inner, Inches(0.4), [(subtitle, bool(card["flags"]))], lang, 14)
    figures = [(label, value, delta, share) for (label, value, delta), share in zip(
        headline(card, lang), FIGURE_SHARES, strict=True) if label]
    unit = inner / sum(share for *_, share in figures)
    left = margin
    for index, (label, value, delta, share) in enumerate(figures):
        frame = slide.shapes.add_textbox(int(left), Inches(1.4), int(unit * share), Inches(0.9)).text_frame
        left += unit * share
        frame.word_wrap = True
        _font(frame.paragraphs[0].add_run(), lang, 11, color=GREY)
        frame.paragraphs[0].runs[0].text = label
        value_run = frame.add_paragraph().add_run()
        value_run.text = value + (f"  {delta}" if delta else "")
        _font(value_run, lang, 22, bold=True)
        slide.shapes[-1].name = f"figure {index}"
    blocks = list(sections(card, lang).items())
    column = inner // 3
    for index, (title, lines) in enumerate(blocks[:3]):
        _box(slide, margin + index * column, Inches(2.45), column - Inches(0.15), Inches(2.5), lines, lang, 12, title)
        slide.shapes[-1].name = f"block {index}"
    (risk_title, risk_lines), (strategy_title, strategy_lines) = blocks[3:]  # at risk spans two columns
    _box(slide, margin, Inches(5.0), column * 2 - Inches(0.15), Inches(2.1), risk_lines, lang, 12, risk_title)
    slide.shapes[-1].name = "block 3"
    _box(slide, margin + column * 2, Inches(5.0), column - Inches(0.15), Inches(2.1), strategy_lines, lang, 12,
         strategy_title)
    slide.shapes[-1].name = "block 4"
    _box(slide, WIDTH - margin - Inches(2), HEIGHT - Inches(0.4), Inches(2), Inches(0.3),
         [(t("walk.position", lang, n=number, total=total), False)], lang, 9)


def build(db: Database, actor: User, account_ids: list[int], lang: str) -> bytes:
    """The deck of these accounts (each readable by `actor`) in this order, in `lang`. No accounts: refused with
    `reason.deck_no_accounts` (there is nothing to present)."""
    if not account_ids:
        raise ValidationError.single("accounts", "reason.deck_no_accounts")
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    for number, account_id in enumerate(account_ids, start=1):
        _slide(deck, overview.account_card(db, actor, account_id), lang, number, len(account_ids))
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def deferred(actor: User, account_ids: list[int], lang: str) -> Callable[[], bytes]:
    """The deck as a download button's deferred data: built only when the button is pressed, in a scope (and
    connection) of its own, on whatever thread serves the click."""
    order = list(account_ids)

    def make() -> bytes:
        with context.scope():
            return build(context.db(), actor, order, lang)

    return make
