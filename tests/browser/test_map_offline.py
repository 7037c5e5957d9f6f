"""The map in a real browser, offline, with hostile names: nothing runs, the text shows as text, the graph draws.

Uses the suite's one headless Chromium (tests/browser/conftest.py); skipped with how to get it when missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kamcore.decision_chain import relationship_map as rm
from kamcore.decision_chain import stakeholders as sh
from tests.decision_chain.stakeholder_world import make_world

IMG_PAYLOAD = "<img src=x onerror=\"window.__pwned='img';alert(1)\">"
HREF_PAYLOAD = "Deputy <a href=\"javascript:alert(2)\">href</a><script>window.__pwned='script'</script>"
NOTE_PAYLOAD = "<svg onload=\"window.__pwned='svg'\"> href"


@pytest.fixture
def map_file(fresh_db, admin, tmp_path) -> tuple[Path, dict]:
    w = make_world(fresh_db, admin)
    md = w.person("md", name=IMG_PAYLOAD, level="decision", roles="decision_maker", stance="blocker",
                  job_title=NOTE_PAYLOAD, notes=NOTE_PAYLOAD)
    deputy = w.person("deputy", name=HREF_PAYLOAD, level="management", stance="supporter", score=2,
                      owner_id=w.am.id, favoured_rival=NOTE_PAYLOAD)
    sh.add_link(w.db, w.am, w.a, deputy["id"], md["id"], "conflict", strength=3, note=NOTE_PAYLOAD)
    for i in range(30):  # enough people for physics to have work to do
        person = w.person(f"p{i}", level="execution", stance="neutral")
        sh.add_link(w.db, w.am, w.a, person["id"], deputy["id"], "reports_to")
    path = tmp_path / "map.html"
    path.write_text(rm.render_map(w.db, w.am, w.a, "en"), encoding="utf-8")
    return path, {"md": md["id"], "deputy": deputy["id"]}


def test_hostile_names_run_nothing_and_the_map_renders_with_the_network_cut_off(map_file, new_page):
    path, ids = map_file
    dialogs: list[str] = []
    outside: list[str] = []
    errors: list[str] = []
    page = new_page(1366, 900)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def cut_off(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", cut_off)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-map-ready='1']", timeout=30_000)

    assert page.locator("#mynetwork canvas").count() == 1, "the network graph is drawn"
    assert page.evaluate("window.kamNetwork.body.data.nodes.length") == 32
    # hover the hostile nodes so their tooltips are built and shown
    for key in ("md", "deputy"):
        point = page.evaluate(
            """(id) => { const n = window.kamNetwork; const rect = n.body.container.getBoundingClientRect();
                         const pos = n.canvasToDOM(n.getPositions([id])[id]);
                         return {x: rect.left + pos.x, y: rect.top + pos.y}; }""",
            ids[key],
        )
        page.mouse.move(point["x"], point["y"])
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
        tip = page.locator("div.vis-tooltip").inner_text()
        assert (IMG_PAYLOAD if key == "md" else HREF_PAYLOAD) in tip
        page.mouse.move(5, 5)
    page.locator("#people summary").click()
    listed = page.locator("#people").inner_text()

    assert IMG_PAYLOAD in listed and HREF_PAYLOAD in listed, "hostile names show as text"
    assert page.evaluate("window.__pwned") is None, "no injected script ran"
    assert page.locator("img, svg[onload], a[href^='javascript']").count() == 0
    assert page.locator("script:not([nonce]):not([type='application/json'])").count() == 0
    assert dialogs == []
    assert outside == [], f"the map asked the network for {outside}"
    assert errors == []
