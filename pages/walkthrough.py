"""Executive walk-through: one account per screen in large type — why it is a key account, how it is
doing, where it is at risk, the chosen strategy — with next / previous in the order the executive picks.

Deep link: `walkthrough?account=<id>&order=<id>,<id>,…`.
"""

from html import escape as esc

import streamlit as st

from kamcore import accounts, permissions
from kamcore.i18n import choice_label
from kamcore.portfolio import overview
from kamcore.text import plain
from kamui import context, walk_deck
from kamui.portfolio_view import (
    closing_text,
    flag_text,
    goal_rows,
    headline,
    health_where,
    money,
    one_pager_html,
    pipeline_lines,
    relationship_lines,
    rule_lesson,
    rule_name,
    tier_badge,
)

page = context.page()
st.html("""<style>
.walk h1 {font-size: 3.2rem; margin: 0 0 .2rem 0; line-height: 1.1}
.walk .badge {font-size: 1.7rem; font-weight: 600}
.walk .big, .walk.big {font-size: 1.5rem; line-height: 1.5}
.walk.risk, .walk .risk {color: #b3261e}
.walk.mid {font-size: 1.3rem; line-height: 1.4}
.walk .walk-s {font-size: 1.1rem; line-height: 1.35; margin-bottom: .2rem}
.walk .walk-g {display: grid; grid-template-columns: auto auto auto; column-gap: 1.1rem; font-size: 1.35rem;
               line-height: 1.45; justify-content: start; margin-bottom: .3rem}
.walk .walk-g span:nth-child(3n+2), .walk .walk-g b {text-align: right; white-space: nowrap}
div[data-testid="stMetricValue"] {font-size: 2.6rem}
div[data-testid="stMetricLabel"] p {font-size: 1.15rem}
</style>""")

readable = permissions.readable_account_ids(page.db, page.user)
if not readable:
    st.title(page.t("walk.title"))
    st.info(page.t("walk.empty"))
    st.stop()
names = {a["id"]: a["name"] for a in accounts.list_accounts(page.db, page.user)}
order = overview.parse_order(st.query_params.get("order"), readable) or overview.walk_order(page.db, page.user)


def go(account_id: int) -> None:
    """Move to another account (callbacks run before the sidebar picker is drawn)."""
    st.query_params["account"] = str(account_id)
    st.session_state["account_picker"] = account_id


def reorder() -> None:
    """The executive's chosen order goes into the URL so the walk can be shared."""
    chosen = st.session_state.get("walk.order") or []
    if chosen:
        st.query_params["order"] = ",".join(str(a) for a in chosen)
        if st.session_state.get("account_picker") not in chosen:
            go(chosen[0])


st.query_params["order"] = ",".join(str(a) for a in order)
current = page.account_id if page.account_id in order else order[0]
position = order.index(current)

nav = st.columns([1, 6, 1])
nav[0].button(page.t("walk.previous"), key="walk.previous", disabled=position == 0, width="stretch",
              on_click=context.callback(go, order[max(0, position - 1)]))
nav[1].markdown(f"<div style='text-align:center;font-size:1.2rem'>{page.t('walk.position', n=position + 1, total=len(order))}"
                "</div>", unsafe_allow_html=True)
nav[2].button(page.t("walk.next"), key="walk.next", disabled=position == len(order) - 1, width="stretch",
              on_click=context.callback(go, order[min(len(order) - 1, position + 1)]))

# One account per screen: everything below is drawn inside one container keyed by the account, so no block
# drawn for the previous account (a run cut short by a quick "next" on a busy machine) is kept or reused under
# this account's title. Entered without `with` to keep the page's layout code as it is; the run's end closes it.
st.container(key=f"walk-account-{current}").__enter__()
card = overview.account_card(page.db, page.user, current)
tier = card["tier"]
pos = card["position"] or {}
fake = [f.kind for f in card["flags"]]
badge = (f"{esc(choice_label('tier', tier['tier'], page.lang))} · "
         f"{esc(choice_label('account_type', tier['account_type'], page.lang)) if tier['account_type'] else '—'}"
         if tier else esc(page.t("walk.no_tier")))
if fake:  # the fake-key-account warning sits next to the tier, not only under "at risk"
    badge += f" <span class='risk'>{esc(tier_badge(None, fake, page.lang).removeprefix('— '))}</span>"
st.title(plain(card["name"]))
st.markdown(f"<div class='walk' data-account='{current}'><span class='badge'>{badge}</span> &nbsp; "
            f"<span class='big'>{esc(card['industry'] or '—')} · {esc(card['region'] or '—')} · "
            f"{esc(page.t('money.amounts_in', currency=card['currency']))}</span></div>",
            unsafe_allow_html=True)

group = next((g for g in accounts.rollup(page.db, page.user)
              if g["id"] == card["id"] or card["name"] in g["subsidiaries"]), None)
if group:  # a group shows what its subsidiaries add up to; a subsidiary names its group
    nothing_yet = {card["currency"]: {"won": 0, "won_value": 0.0, "open": 0, "open_value": 0.0}}
    for code, b in (group["by_currency"] or nothing_yet).items():
        st.caption(page.t("walk.group_line", group=plain(group["name"]), count=len(group["subsidiaries"]), won=b["won"],
                          won_value=money(b["won_value"], code, page.lang), open=b["open"],
                          open_value=money(b["open_value"], code, page.lang)))

goals = card["goals"]
metrics = st.columns([1.7, 1, 1, 1, 1, 0.8])  # money with its unit needs the room
for column, (label, value, delta) in zip(metrics, headline(card, page.lang), strict=True):
    if label:
        column.metric(label, value, delta)


def block(title: str, lines: list[str], css: str = "big") -> None:
    """A headed block of lines in large type, one <div> each (lines are HTML the caller has escaped)."""
    st.markdown(f"### {title}")
    st.markdown(f"<div class='walk {css}' data-account='{current}'>" + "".join(f"<div>{x}</div>" for x in lines) + "</div>",
                unsafe_allow_html=True)


goal_col, pipe_col, rel_col = st.columns([1.2, 1, 1])
with goal_col:
    rows = goal_rows(card, page.lang)
    if rows:
        grid = "".join(f"<span>{esc(m)}</span><span>{esc(done)}</span><b>{esc(pct)}</b>" for m, done, pct in rows)
        lines = [f"<div class='walk-g'>{grid}</div>"]
    else:
        lines = [esc(page.t("walk.no_goals", year=goals["year"]))] if not goals["count"] else []
    if goals["score"] is not None:
        lines.append(f"{esc(page.t('plan.score'))}: <b>{goals['score']:.1f}</b>")
    block(page.t("walk.goals", year=goals["year"]), lines)
with pipe_col:
    pipe = card["pipeline"]
    if pipe["count"]:
        lines = [esc(x) for x in pipeline_lines(pipe, page.lang)]
        lines.append(esc(page.t("walk.closing_soon", count=pipe["closing_count"], days=pipe["closing_days"])))
        lines += [f"<div class='walk-s'>· {esc(closing_text(d, page.lang))}</div>" for d in pipe["closing"]]
    else:
        lines = [esc(page.t("walk.no_deals"))]
    block(page.t("walk.pipeline"), lines)
with rel_col:
    rel = card["relationships"]
    lines = [esc(x) for x in relationship_lines(rel, page.lang)] or [esc(page.t("walk.no_people"))]
    if rel["people"]:
        lines += [f"<div class='walk-s risk'>{esc(f.message(page.lang))}</div>" for f in rel["coverage_flags"]] or \
            [f"<div class='walk-s'>{esc(page.t('walk.no_coverage_flags'))}</div>"]
    score = card["health_score"]
    weakest = sorted(score["components"], key=lambda c: c["value"])[:2]
    lines.append(f"{esc(page.t('ahealth.score'))}: <b>{score['score']} / 100</b>")
    lines.append("<div class='walk-s'>" + esc(" · ".join(
        f"{page.t('ahealth.' + c['key'])} {c['value']:.0f}" for c in weakest)) + "</div>")
    block(page.t("walk.relationships"), lines)

why, risk, strategy = st.columns([1, 1.3, 1])
with why:
    st.markdown(f"### {page.t('walk.why_key')}")
    if tier:
        st.markdown(f"<div class='walk big' data-account='{current}'>{page.t('walk.by_criteria', number=tier['criteria_number'], score=tier['score'])}"
                    "</div>", unsafe_allow_html=True)
        top = sorted(tier["contributions"], key=lambda c: -c["points"])[:4]
        lines = [f"{page.t('indicator.' + c['key'])}: <b>{c['points']:.0f}</b> / {c['weight']:g}" for c in top]
        st.markdown(f"<div class='walk big' data-account='{current}'>" + "<br>".join(lines) + "</div>", unsafe_allow_html=True)
    else:
        st.markdown(f"<div class='walk big' data-account='{current}'>{page.t('walk.no_tier')}</div>", unsafe_allow_html=True)
with risk:
    st.markdown(f"### {page.t('walk.at_risk')}")
    fake = [f"<span class='risk'>{esc(flag_text(f, page.lang))}</span>" for f in card["flags"]] or \
        [esc(page.t("walk.no_flags"))]
    health = card["health"]
    lines = [f"<b>{esc(page.t('walk.fake_flags'))}</b>", *fake,
             f"<b>{esc(page.t('walk.health_flags', open=health['open'], total=health['total']))}</b>"]
    lines += [f"<span class='risk'>{esc(rule_name(f, page.lang))}</span> — {esc(health_where(f, page.lang))}"
              f"<div class='walk-s'><i>{esc(rule_lesson(f, page.lang))}</i></div>" for f in health["top"]]
    if health["total"] > len(health["top"]):
        lines.append(f"<div class='walk-s'>{esc(page.t('walk.more', count=health['total'] - len(health['top'])))}"
                     "</div>")
    elif not health["total"]:
        lines.append(esc(page.t("health.no_flags")))
    st.markdown(f"<div class='walk mid' data-account='{current}'>" + "".join(f"<div>{x}</div>" for x in lines) + "</div>",
                unsafe_allow_html=True)
with strategy:
    st.markdown(f"### {page.t('walk.strategy')}")
    if pos:
        chosen = choice_label("posture", pos["chosen_posture"], page.lang) if pos.get("chosen_posture") else "—"
        recommended = (choice_label("posture", pos["recommended_posture"], page.lang)
                       if pos.get("recommended_posture") else "—")
        st.markdown(f"<div class='walk big' data-account='{current}'><b>{chosen}</b> ({page.t('walk.recommended')}: {recommended})<br>"
                    f"{esc(pos.get('rationale') or '')}</div>", unsafe_allow_html=True)
    else:
        st.markdown(f"<div class='walk big' data-account='{current}'>{page.t('walk.no_position')}</div>", unsafe_allow_html=True)

one_pager, deck = st.columns(2)
one_pager.download_button(page.t("walk.download"), one_pager_html(card, page.lang).encode("utf-8"),
                          file_name=f"account-{current}.html", mime="text/html", key="walk.download")
deck.download_button(page.t("deck.download"), walk_deck.deferred(page.user, order, page.lang),
                     file_name="walk-through.pptx", key="walk.deck", on_click="ignore", icon=":material/slideshow:",
                     mime="application/vnd.openxmlformats-officedocument.presentationml.presentation")

# choosing the walk is set-up, not content: below the account so the screen starts with the account
with st.expander(page.t("walk.pick_order"), expanded=False):
    if "walk.order" not in st.session_state:
        st.session_state["walk.order"] = order
    st.multiselect(page.t("walk.order"), readable, key="walk.order", format_func=names.get, on_change=context.callback(reorder))
