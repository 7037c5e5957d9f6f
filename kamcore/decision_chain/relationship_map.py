"""The relationship map (D4): the decision chain on one picture, as a self-contained HTML page.

pyvis assembles the vis-network nodes, edges and options; the page around them is ours, because
pyvis's template loads Bootstrap from a CDN, puts `heading` in raw, and switches to an innerHTML
popup when any title contains "href". Here:

- vis-network (bundled with pyvis) is inlined: the page makes no outside request, and a
  Content-Security-Policy forbids any (`default-src 'none'`), with scripts allowed only by nonce,
  so an injected `<img onerror=…>` or `<script>` could not run even if it got into the markup;
- the graph data travels as JSON inside `<script type="application/json">` with `<`, `>` and `&`
  escaped, and is read with JSON.parse — user text never becomes markup or code;
- tooltips are built with `textContent`, never innerHTML, and no node has a string `title`;
- node labels are drawn on the canvas as plain text (canvas text cannot run anything; escaping
  them would print "&amp;" in names like "R&D");
- every piece of user text that does go into markup (the list of people below the map) goes
  through `html.escape`; the legend holds only our own translated labels, escaped as well.

Encoding: colour = stance, shape = most senior buying role, size = level or influence, edge style =
link kind, second label line = our owner. Layouts: "network" (physics, stabilised then frozen so
200 people stay usable) and "org" (hierarchical by level).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pyvis.network import Network
from sqlite_utils import Database

from kamcore import permissions, store
from kamcore.decision_chain import scale
from kamcore.decision_chain.stakeholders import BUYING_ROLES, LEVELS, STANCES, role_list
from kamcore.i18n import t
from kamcore.users import User

STANCE_COLOURS = {
    "coach": "#1a7f37",
    "supporter": "#8cc97a",
    "neutral": "#b0b7c0",
    "opponent": "#f0913a",
    "blocker": "#d1242f",
}
ROLE_SHAPES = {  # the most senior role decides the shape
    "decision_maker": "star",
    "technical_evaluator": "diamond",
    "purchaser": "square",
    "user": "triangle",
}
NO_ROLE_SHAPE = "dot"
SHAPE_GLYPHS = {"star": "★", "diamond": "◆", "square": "■", "triangle": "▲", "dot": "●"}
LEVEL_SIZES = {"decision": 32, "management": 22, "execution": 14}
EDGE_STYLES = {
    "reports_to": {"color": "#57606a", "dashes": False, "arrows": True},
    "influences": {"color": "#0969da", "dashes": [8, 6], "arrows": True},
    "conflict": {"color": "#d1242f", "dashes": [3, 4], "arrows": False},
}
MAX_NODES = 500
ORG_ROW_WIDTH = 14
_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True)
class MapOptions:
    """What to draw: layout, sizing and the filters."""

    layout: Literal["network", "org"] = "network"
    size_by: Literal["level", "influence"] = "level"
    opportunity_id: int | None = None
    department: str | None = None
    stance: str | None = None
    height_px: int = 620


def map_data(db: Database, actor: User, account_id: int, options: MapOptions = MapOptions()) -> dict[str, Any]:
    """The people and links to draw after the filters, with owner names and computed influence."""
    permissions.require_read(db, actor, account_id)
    clauses, params = ["s.account_id = ?"], [account_id]
    if options.department:
        clauses.append("s.department = ?")
        params.append(options.department)
    if options.stance:
        clauses.append("s.stance = ?")
        params.append(options.stance)
    part_join = ""
    if options.opportunity_id is not None:
        part_join = "JOIN stakeholder_opportunities p ON p.stakeholder_id = s.id AND p.opportunity_id = ?"
        params.insert(0, options.opportunity_id)
    people = store.rows(
        db,
        f"""SELECT s.id, s.name, s.job_title, s.department, s.level, s.roles, s.stance, s.score,
                   s.stage, s.stage_target, s.standing, s.standing_target,
                   s.favoured_rival, s.owner_id, u.display_name AS owner_name,
                   (SELECT count(*) FROM stakeholder_links r WHERE r.to_id = s.id AND r.kind = 'reports_to')
                   + (SELECT coalesce(sum(i.strength), 0) FROM stakeholder_links i
                      WHERE i.from_id = s.id AND i.kind = 'influences') AS influence
            FROM stakeholders s {part_join} LEFT JOIN users u ON u.id = s.owner_id
            WHERE {' AND '.join(clauses)}
            ORDER BY CASE s.level WHEN 'decision' THEN 0 WHEN 'management' THEN 1 ELSE 2 END, s.name
            LIMIT ?""",
        [*params, MAX_NODES],
    )
    shown = {p["id"] for p in people}
    links = [
        link for link in store.rows(
            db,
            "SELECT id, from_id, to_id, kind, strength, note FROM stakeholder_links WHERE account_id = ? ORDER BY id",
            [account_id],
        )
        if link["from_id"] in shown and link["to_id"] in shown
    ]
    counts = scale.stance_counts(db, [account_id], options.opportunity_id)[account_id]
    from kamcore.relationships import guidance  # relationships builds on the decision chain, not the other way

    fresh = {p["id"]: p for p in guidance.last_contacts(db, [account_id])}
    for person in people:
        person["last_contact"] = fresh[person["id"]]["last_contact"]
        person["days_since"] = fresh[person["id"]]["days_since"]
    return {"people": people, "links": links, "counts": counts}


def primary_shape(roles: list[str]) -> str:
    """The shape of the most senior buying role a person holds."""
    for role in BUYING_ROLES:
        if role in roles:
            return ROLE_SHAPES[role]
    return NO_ROLE_SHAPE


def node_size(person: dict[str, Any], size_by: str) -> int:
    """Node size by level, or by influence (direct reports plus the strength of whom they influence)."""
    if size_by == "influence":
        return 12 + 5 * min(int(person.get("influence") or 0), 8)
    return LEVEL_SIZES.get(person["level"], 14)


def org_rows(people: list[dict[str, Any]], per_row: int = ORG_ROW_WIDTH) -> dict[int, int]:
    """The org-chart row of each person: decision, then management, then execution, each layer wrapped
    into rows of at most `per_row` (grouped by department) so a 200-person chart stays readable."""
    out: dict[int, int] = {}
    offset = 0
    for level in LEVELS:
        layer = sorted((p for p in people if p["level"] == level), key=lambda p: (p["department"], p["name"]))
        for index, person in enumerate(layer):
            out[person["id"]] = offset + index // per_row
        offset += max(1, -(-len(layer) // per_row))
    return out


def _ladder(person: dict[str, Any], ladder: str, lang: str) -> str:
    """"Current → target" on one ladder, or "" when neither is set."""
    now, target = person.get(ladder), person.get(f"{ladder}_target")
    if now is None and target is None:
        return ""
    now_text = t(f"{ladder}.{now}", lang) if now else "—"
    return f"{now_text} → {t(f'{ladder}.{target}', lang)}" if target else now_text


def _contact(person: dict[str, Any], lang: str) -> str:
    if "last_contact" not in person:
        return ""
    if person["last_contact"] is None:
        return t("rel.never", lang)
    return f"{person['last_contact']} ({person['days_since']} {t('rel.days_since', lang)})"


LABEL_CHARS = 28  # a node's label line at most this long: 200-character names made the map one unreadable cluster


def short_label(text: str | None, limit: int = LABEL_CHARS) -> str:
    """One line of a node's label, cut with an ellipsis past `limit` characters (the full text is in the tooltip)."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def build_network(data: dict[str, Any], lang: str, options: MapOptions) -> Network:
    """The pyvis network: nodes and edges with their visual encoding and plain-text tooltip lines."""
    net = Network(height=f"{options.height_px}px", width="100%", directed=True, cdn_resources="in_line")
    rows = org_rows(data["people"])
    for person in data["people"]:
        roles = role_list(person["roles"])
        owner = person["owner_name"] or "—"
        label = "\n".join(short_label(line) for line in filter(None, [person["name"], person["job_title"],
                                                                        t("map.owner_line", lang, owner=owner)]))
        tip = [
            [t("field.name", lang), person["name"]],
            [t("field.job_title", lang), person["job_title"]],
            [t("field.department", lang), person["department"]],
            [t("field.stakeholder_level", lang), t(f"level.{person['level']}", lang)],
            [t("field.roles", lang), ", ".join(t(f"buying_role.{r}", lang) for r in roles) or "—"],
            [t("field.stance", lang), t(f"stance.{person['stance']}", lang)],
            [t("field.score", lang), str(person["score"])],
            [t("field.favoured_rival", lang), person["favoured_rival"] or "—"],
            [t("sh.our_owner", lang), owner],
            [t("field.stakeholder.stage", lang), _ladder(person, "stage", lang)],
            [t("field.standing", lang), _ladder(person, "standing", lang)],
            [t("rel.last_contact", lang), _contact(person, lang)],
        ]
        net.add_node(
            person["id"],
            label=label,
            shape=primary_shape(roles),
            color=STANCE_COLOURS[scale.category(person["stance"], person["score"])],
            size=node_size(person, options.size_by),
            level=rows[person["id"]],
            tip=[pair for pair in tip if pair[1]],
            font={"size": 15, "face": "sans-serif", "multi": False},
            borderWidth=3 if person["owner_id"] is None else 1,
        )
    for link in data["links"]:
        style = EDGE_STYLES[link["kind"]]
        tip = [[t(f"link_kind.{link['kind']}", lang), t(f"strength.{link['strength']}", lang)]]
        if link["note"]:
            tip.append([t("field.note", lang), link["note"]])
        net.add_edge(
            link["from_id"], link["to_id"],
            color=style["color"], dashes=style["dashes"], width=1 + link["strength"],
            arrows={"to": {"enabled": style["arrows"], "scaleFactor": 0.7}},
            tip=tip,
            **_same_row_curve(options.layout, rows, link),
        )
    net.options = _vis_options(len(data["people"]), options.layout)
    return net


def _same_row_curve(layout: str, rows: dict[int, int], link: dict[str, Any]) -> dict[str, Any]:
    """In the org chart, a link inside one row would run along the row; bend it so it stays visible."""
    if layout == "org" and rows[link["from_id"]] == rows[link["to_id"]]:
        return {"smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.2}}
    return {}


def _vis_options(count: int, layout: str) -> dict[str, Any]:
    """vis-network options: physics that settles and stops (network) or a top-down org chart."""
    base: dict[str, Any] = {
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False, "keyboard": False},
        "nodes": {"font": {"size": 13}},
        "edges": {"smooth": {"enabled": True, "type": "continuous"}},
    }
    if layout == "org":
        base["layout"] = {"hierarchical": {"enabled": True, "direction": "UD", "sortMethod": "directed",
                                           "levelSeparation": 140, "nodeSpacing": 160, "treeSpacing": 220}}
        base["physics"] = {"enabled": False}
        base["edges"]["smooth"] = {"enabled": True, "type": "cubicBezier", "forceDirection": "vertical"}
    else:
        iterations = 1000 if count <= 60 else 300 if count <= 150 else 200
        base["layout"] = {"improvedLayout": count <= 60, "randomSeed": 7}
        base["physics"] = {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -9000 if count > 60 else -4000,
                          "springLength": 160 if count > 60 else 110, "avoidOverlap": 0.4},
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 50, "fit": True},
        }
    return base


def build_html(data: dict[str, Any], lang: str, options: MapOptions = MapOptions()) -> str:
    """The whole map page: inlined vis-network, escaped data, legend and an accessible list of the people."""
    net = build_network(data, lang, options)
    nodes, edges, _heading, _height, _width, vis_options = net.get_network_data()
    payload = _json_for_script({"nodes": nodes, "edges": edges, "options": json.loads(vis_options)})
    nonce = hmac.new(_SECRET, payload.encode(), hashlib.sha256).hexdigest()[:32]
    js, css = _vis_assets()
    return _PAGE.format(
        nonce=nonce,
        css=css,
        js=js,
        height=int(options.height_px),
        legend=_legend(lang, data.get("counts")),
        people=_people_list(data, lang),
        payload=payload,
        empty=html.escape(t("map.empty", lang)),
        loading=html.escape(t("map.settling", lang)),
    )


def render_map(db: Database, actor: User, account_id: int, lang: str, options: MapOptions = MapOptions()) -> str:
    """Read, filter and draw an account's map (what the page puts in `st.iframe`)."""
    return build_html(map_data(db, actor, account_id, options), lang, options)


def _json_for_script(value: Any) -> str:
    """JSON that cannot close the <script> element it sits in or start markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


@cache
def _vis_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet as shipped inside pyvis (no CDN)."""
    import pyvis

    lib = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def _legend(lang: str, counts: dict[str, int] | None = None) -> str:
    e = html.escape

    def item(mark: str, text: str) -> str:
        return f'<span class="item">{mark}{e(text)}</span>'

    stances = "".join(
        item(f'<span class="swatch" style="background:{STANCE_COLOURS[s]}"></span>',
             t(f"stance.{s}", lang) + (f" ({counts[s]})" if counts else ""))
        for s in STANCES
    )
    roles = "".join(
        item(f'<span class="glyph">{SHAPE_GLYPHS[ROLE_SHAPES[r]]}</span>', t(f"buying_role.{r}", lang))
        for r in BUYING_ROLES
    ) + item(f'<span class="glyph">{SHAPE_GLYPHS[NO_ROLE_SHAPE]}</span>', t("map.no_role", lang))
    edges = ""
    for kind, style in EDGE_STYLES.items():
        dash = f' stroke-dasharray="{",".join(map(str, style["dashes"]))}"' if style["dashes"] else ""
        line = (f'<svg width="34" height="10"><line x1="1" y1="5" x2="33" y2="5" stroke="{style["color"]}" '
                f'stroke-width="2.5"{dash}/></svg>')
        edges += item(line, t(f"link_kind.{kind}", lang))
    return (
        f'<div class="legend"><div><b>{e(t("field.stance", lang))}</b>{stances}</div>'
        f'<div><b>{e(t("field.roles", lang))}</b>{roles}</div>'
        f'<div><b>{e(t("map.links", lang))}</b>{edges}'
        f'{item("", t("map.size_note", lang))}{item("", t("map.uncovered_note", lang))}</div></div>'
    )


def _people_list(data: dict[str, Any], lang: str) -> str:
    """The same people as text, for screen readers and for reading names the canvas draws small."""
    e = html.escape
    items = "".join(
        f"<li><b>{e(p['name'])}</b> — {e(p['job_title'] or '')} · {e(p['department'] or '')} · "
        f"{e(t('stance.' + p['stance'], lang))} ({p['score']}) · "
        f"{e(t('map.owner_line', lang, owner=p['owner_name'] or '—'))}"
        f"{(' · ' + e(_ladder(p, 'stage', lang))) if _ladder(p, 'stage', lang) else ''} · "
        f"{e(t('rel.last_contact', lang))}: {e(_contact(p, lang))}</li>"
        for p in data["people"]
    )
    summary = e(t("map.people_list", lang, count=len(data["people"])))
    return f'<details id="people"><summary>{summary}</summary><ul>{items}</ul></details>'


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-{nonce}'; \
style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'">
<style>{css}</style>
<style>
body {{ margin: 0; font-family: "Source Sans Pro", sans-serif; font-size: 13px; color: #31333f; }}
.legend {{ display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 4px 6px; }}
.legend b {{ margin-right: 6px; }}
.legend .item {{ margin-right: 10px; white-space: nowrap; display: inline-flex; align-items: center; gap: 4px; }}
.swatch {{ display: inline-block; width: 12px; height: 12px; border-radius: 50%; }}
.glyph {{ font-size: 14px; color: #57606a; }}
#mynetwork {{ width: 100%; height: {height}px; border: 1px solid #e6e9ef; border-radius: 6px; position: relative; }}
#status {{ position: absolute; top: 8px; left: 12px; color: #57606a; }}
div.vis-tooltip {{ white-space: normal; max-width: 360px; font-family: sans-serif; font-size: 12px; }}
div.vis-tooltip table {{ border-collapse: collapse; }}
div.vis-tooltip th {{ text-align: left; padding-right: 8px; color: #57606a; font-weight: normal; vertical-align: top; }}
details {{ margin: 6px; }}
</style></head>
<body>
{legend}
<div id="empty-msg" hidden>{empty}</div>
<div id="mynetwork"><div id="status">{loading}</div></div>
{people}
<script type="application/json" id="map-data">{payload}</script>
<script nonce="{nonce}">{js}</script>
<script nonce="{nonce}">
(function () {{
  var data = JSON.parse(document.getElementById("map-data").textContent);
  function tooltip(lines) {{
    var table = document.createElement("table");
    (lines || []).forEach(function (pair) {{
      var row = table.insertRow();
      var head = document.createElement("th");
      head.textContent = pair[0];
      row.appendChild(head);
      row.insertCell().textContent = pair[1];
    }});
    return table;
  }}
  data.nodes.forEach(function (n) {{ n.title = tooltip(n.tip); delete n.tip; }});
  data.edges.forEach(function (e) {{ e.title = tooltip(e.tip); delete e.tip; }});
  var status = document.getElementById("status");
  var container = document.getElementById("mynetwork");
  if (!data.nodes.length) {{ status.textContent = document.getElementById("empty-msg").textContent; return; }}
  var network = new vis.Network(container, {{nodes: new vis.DataSet(data.nodes), edges: new vis.DataSet(data.edges)}},
                                data.options);
  window.kamNetwork = network;
  function settled() {{
    network.setOptions({{physics: {{enabled: false}}}});
    status.textContent = "";
    document.body.setAttribute("data-map-ready", "1");
  }}
  if (data.options.physics && data.options.physics.enabled) {{
    network.once("stabilizationIterationsDone", settled);
  }} else {{
    network.once("afterDrawing", settled);
  }}
}})();
</script>
</body></html>
"""

