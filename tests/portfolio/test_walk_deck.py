"""Issue 31 item 4: the walk-through as a 16:9 deck, one slide per account, with the figures of the screen.

Each slide is opened with python-pptx and compared with the walk-through page (AppTest) of the same account, for
every demo account: the title, each headline figure (label and value as the page's metrics show them), and every
number of the blocks (goals, pipeline, relationships, risks) must be on the page. Two slides are converted to PNG
by LibreOffice + pdftoppm when LibreOffice is installed and kept under test-artifacts/deck/.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu

from kamcore import clock, permissions, store, users
from kamcore.errors import ValidationError
from kamui import walk_deck
from tests.conftest import DEMO_DAY, ROOT, signed_in_app

NUMBER = re.compile(r"\d[\d,.]*\d%?|\d%?")
ARTIFACTS = ROOT / "test-artifacts" / "deck"


@pytest.fixture(autouse=True)
def demo_today(monkeypatch):
    """'Today' is the demo's day in every thread (AppTest runs the script in its own)."""
    moment = datetime.combine(DEMO_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=9)
    monkeypatch.setattr(clock, "now", lambda: moment)


def _deck(path: Path, username: str, lang: str) -> tuple[list[int], bytes]:
    db = store.connect(path)
    try:
        person = users.find_by_username(db, username)
        order = permissions.readable_account_ids(db, person)
        return order, walk_deck.build(db, person, order, lang)
    finally:
        db.close()


def _shapes(slide) -> dict[str, str]:
    return {shape.name: shape.text_frame.text for shape in slide.shapes if shape.has_text_frame}


def _page(path: Path, account_id: int, order: list[int], lang: str) -> tuple[str, dict[str, str]]:
    """The walk-through's text and metrics on `account_id`, walking the deck's order."""
    at = signed_in_app(path, "chen.jie", account_id=account_id, lang=lang)
    at.query_params["order"] = ",".join(str(a) for a in order)
    at.switch_page("pages/walkthrough.py").run()
    assert not at.exception
    text = html.unescape(" ".join([t.value for t in at.title] + [m.value for m in at.markdown] +
                                  [c.value for c in at.caption]))
    return text, {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_slide_shows_the_walk_through_figures_of_its_account(demo_path, lang):
    order, data = _deck(demo_path, "chen.jie", lang)
    deck = Presentation(io.BytesIO(data))
    assert (deck.slide_width, deck.slide_height) == (Emu(12192000), Emu(6858000))  # 16:9
    assert len(deck.slides) == len(order) > 0
    for account_id, slide in zip(order, deck.slides, strict=True):
        shapes = _shapes(slide)
        page_text, metrics = _page(demo_path, account_id, order, lang)
        assert shapes["title"] in page_text
        figures = [shapes[name] for name in sorted(shapes) if name.startswith("figure ")]
        assert figures and len(figures) == len(metrics)
        for figure in figures:
            label, value = figure.split("\n", 1)
            assert metrics[label] == value.split("  ")[0], (shapes["title"], label)
        for name in ("block 0", "block 1", "block 2", "block 3"):
            missing = set(NUMBER.findall(shapes[name])) - set(NUMBER.findall(page_text))
            assert not missing, (shapes["title"], name, missing)


def test_chinese_text_names_a_cjk_font_and_ships_none(demo_path):
    _order, data = _deck(demo_path, "chen.jie", "zh")
    deck = Presentation(io.BytesIO(data))
    run = next(r for shape in deck.slides[0].shapes if shape.has_text_frame
               for p in shape.text_frame.paragraphs for r in p.runs if re.search(r"[\u4e00-\u9fff]", r.text))
    assert run.font.name == "Microsoft YaHei"
    assert run._r.rPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea").get("typeface") == \
        "Microsoft YaHei"
    assert not [part for part in deck.part.package.iter_parts() if "font" in str(part.partname).lower()]


def test_a_deck_of_no_accounts_is_refused_with_a_reason(demo_db):
    with pytest.raises(ValidationError) as caught:
        walk_deck.build(demo_db, users.find_by_username(demo_db, "chen.jie"), [], "en")
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("accounts", "reason.deck_no_accounts")]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (libreoffice-impress) is not installed")
def test_two_slides_render_to_png_for_a_look(demo_path, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "zh"):
        order, data = _deck(demo_path, "chen.jie", lang)
        source = tmp_path / f"walk-{lang}.pptx"
        source.write_bytes(data)
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                        "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=240)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / f"walk-{lang}.pdf"),
                        str(ARTIFACTS / f"slide-{lang}")], check=True, timeout=120)
    assert sorted(p.name for p in ARTIFACTS.glob("slide-*.png"))[:2] == ["slide-en-01.png", "slide-zh-01.png"]
