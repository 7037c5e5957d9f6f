"""The Health tab in a real browser: the score and every component are on screen (screenshot kept for a look)."""

from __future__ import annotations

from pathlib import Path

from kamcore import store
from kamcore.i18n import t
from tests.browser.server import running_app
from tests.browser.sign_in import settle, sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_health_tab_shows_the_score_and_each_component(demo_path, new_page):
    db = store.connect(demo_path)
    pudong = db.execute("SELECT id FROM accounts WHERE name LIKE 'Pudong%'").fetchone()[0]
    db.close()
    with running_app(demo_path) as url:  # the suite's one browser; its own page and context
        page = new_page(1400, 1600)
        sign_in(page, url, "admin", path=f"relationships?account={pudong}")
        if "/relationships?" not in page.url:
            sign_in(page, url, "admin", path=f"relationships?account={pudong}")
        page.get_by_role("tab", name=t("rel.tab.health", "en")).click()
        settle(page)
        page.get_by_text(t("ahealth.why", "en")).wait_for(state="visible")
        text = page.locator("section.main, [data-testid='stMain']").first.inner_text()
        for key in ("plan_completeness", "key_people_coverage", "relationship_vs_target", "freshness",
                    "pipeline_coverage", "goal_attainment", "risk_flags"):
            page.get_by_text(t(f"ahealth.{key}", "en")).first.wait_for(state="attached")
        assert "/ 100" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "relmath-health.png"), full_page=True)
        page.get_by_role("tab", name=t("rel.tab.targets", "en")).click()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "relmath-targets.png"), full_page=True)
