"""The relationship map's HTML: no outside resources, user text only as escaped data, encodings and filters."""

from __future__ import annotations

import json
import re

import pytest

from kamcore.decision_chain import relationship_map as rm
from kamcore.decision_chain import stakeholders as sh
from tests.decision_chain.stakeholder_world import make_world

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def w(fresh_db, admin):
    world = make_world(fresh_db, admin)
    md = world.person("md", name=HOSTILE, level="decision", roles="decision_maker", stance="blocker",
                      department="Board", score=-1)
    vp = world.person("vp", name="VP href=javascript:alert(2)", level="decision", stance="coach", score=3,
                      owner_id=world.am.id, roles="purchaser", department="Purchasing")
    eng = world.person("eng", name="Engineer", stance="neutral", department="Engineering", roles="technical_evaluator")
    sh.add_link(world.db, world.am, world.a, vp["id"], md["id"], "reports_to", note="</script><script>alert(3)</script>")
    sh.add_link(world.db, world.am, world.a, vp["id"], eng["id"], "conflict", strength=3)
    sh.add_link(world.db, world.am, world.a, eng["id"], md["id"], "influences", strength=2)
    return world


def payload(page: str) -> dict:
    raw = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


def test_the_page_loads_nothing_from_outside(w):
    page = rm.render_map(w.db, w.am, w.a, "en")
    assert "<link" not in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    assert "default-src 'none'" in page


def test_user_text_never_appears_as_markup(w):
    page = rm.render_map(w.db, w.am, w.a, "en")
    assert HOSTILE not in page
    assert "<script>alert(3)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the text list, escaped
    data = payload(page)
    names = {n["id"]: n["label"].split("\n")[0] for n in data["nodes"]}
    assert names[w.people["md"]["id"]] == HOSTILE  # drawn on the canvas as plain text
    assert all("title" not in n for n in data["nodes"] + data["edges"])  # tooltips are built with textContent


def test_the_href_trap_of_pyvis_is_not_used(w):
    page = rm.render_map(w.db, w.am, w.a, "en")
    assert "innerHTML" not in page.split("</script>")[-2]  # our own script
    assert "popup.innerHTML" not in page


def test_nodes_encode_stance_role_level_and_owner(w):
    data = payload(rm.render_map(w.db, w.am, w.a, "zh"))
    node = {n["id"]: n for n in data["nodes"]}
    md, vp, eng = (node[w.people[k]["id"]] for k in ("md", "vp", "eng"))
    assert (md["color"], md["shape"], md["size"]) == (rm.STANCE_COLOURS["blocker"], "star", 32)
    assert (vp["color"], vp["shape"]) == (rm.STANCE_COLOURS["coach"], "square")
    assert (eng["shape"], eng["size"]) == ("diamond", 14)
    assert vp["label"].endswith("我方：Ann Manager") and md["label"].endswith("我方：—")
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    conflict = edges[(w.people["vp"]["id"], w.people["eng"]["id"])]
    assert conflict["color"] == rm.EDGE_STYLES["conflict"]["color"] and conflict["width"] == 4
    assert conflict["arrows"]["to"]["enabled"] is False


def test_size_by_influence_counts_reports_and_influence_strength(w):
    data = rm.map_data(w.db, w.am, w.a)
    influence = {p["name"]: p["influence"] for p in data["people"]}
    assert influence == {HOSTILE: 1, "VP href=javascript:alert(2)": 0, "Engineer": 2}
    assert rm.node_size({"influence": 2, "level": "execution"}, "influence") == 22


def test_filters_keep_only_matching_people_and_links_between_them(w):
    deal = w.deal()
    sh.add_participation(w.db, w.am, w.a, w.people["vp"]["id"], deal["id"], "purchaser")
    sh.add_participation(w.db, w.am, w.a, w.people["md"]["id"], deal["id"], "decision_maker")
    by_deal = rm.map_data(w.db, w.am, w.a, rm.MapOptions(opportunity_id=deal["id"]))
    assert {p["name"] for p in by_deal["people"]} == {HOSTILE, "VP href=javascript:alert(2)"}
    assert [link["kind"] for link in by_deal["links"]] == ["reports_to"]
    assert [p["name"] for p in rm.map_data(w.db, w.am, w.a, rm.MapOptions(stance="coach"))["people"]] == [
        "VP href=javascript:alert(2)"]
    assert [p["name"] for p in rm.map_data(w.db, w.am, w.a, rm.MapOptions(department="Engineering"))["people"]] == [
        "Engineer"]


def test_org_layout_is_hierarchical_by_level_and_wraps_wide_layers():
    people = [{"id": i, "level": "decision" if i < 2 else "execution", "department": "", "name": f"p{i:03}"}
              for i in range(32)]
    rows = rm.org_rows(people, per_row=14)
    assert rows[0] == rows[1] == 0
    assert {rows[i] for i in range(2, 16)} == {2} and rows[16] == 3 and rows[31] == 4  # management row is empty
    options = rm._vis_options(32, "org")
    assert options["layout"]["hierarchical"]["enabled"] and options["physics"] == {"enabled": False}


def test_large_maps_stabilise_quickly_and_then_stop(w):
    options = rm._vis_options(200, "network")
    assert options["physics"]["stabilization"]["iterations"] <= 200
    assert options["layout"]["improvedLayout"] is False


def test_an_empty_map_says_what_to_do(w):
    page = rm.render_map(w.db, w.am, w.a, "en", rm.MapOptions(stance="supporter"))
    assert "add stakeholders, or loosen the filters" in page


def test_long_names_are_cut_with_an_ellipsis_and_shown_whole_in_the_tooltip(w):
    """Long names turned the map into one unreadable cluster (issue 27): the longest a name may be."""
    long_name = ("Director of " + "very " * 30)[:109] + " long title"
    assert len(long_name) == 120
    person = w.person("long", name=long_name, job_title="Head of " + "procurement " * 9, stance="supporter")
    data = payload(rm.render_map(w.db, w.am, w.a, "en"))
    node = next(n for n in data["nodes"] if n["id"] == person["id"])
    lines = node["label"].split("\n")
    assert all(len(line) <= rm.LABEL_CHARS for line in lines), lines
    assert lines[0].endswith("…") and lines[0].startswith("Director of very")
    assert long_name in json.dumps(node, ensure_ascii=False), "the full name stays in the tooltip"
