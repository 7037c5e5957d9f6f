"""Financials and their import, fake-key-account flags, Pareto / ABC, the potential grid and the overview."""

import io

import pandas as pd
import pytest

from kamcore import accounts, team, users
from kamcore.errors import NotFoundError, ValidationError
from kamcore.portfolio import fake_key_accounts, financials, overview, pareto, positioning, tiering
from kamcore.portfolio.tiering import FlagThresholds, GridThresholds
from tests.portfolio.agreeing import agree_and_activate


@pytest.fixture
def two_accounts(fresh_db, admin):
    a = accounts.create_account(fresh_db, admin, {"name": "Alpha Steel", "industry": "Metals", "region": "East"})
    b = accounts.create_account(fresh_db, admin, {"name": "Beta Bank", "industry": "Finance", "region": "South"})
    return a["id"], b["id"]


def _csv(text: str) -> pd.DataFrame:
    return financials.read_table(text.encode(), "figures.csv")


def _problems(report):
    return {(p.row, p.field, p.reason_key) for p in report.problems}


# --- financials ----------------------------------------------------------------------------------------


def test_ratios_are_derived_from_the_year_figures():
    row = {"revenue": 1000, "gross_profit": 150, "deals_count": 4, "receivables_outstanding": 200,
           "receivables_overdue": 50}
    ratios = financials.with_ratios(row)
    assert (ratios["margin_pct"], ratios["avg_deal_size"], ratios["overdue_pct"]) == (15, 250, 25)
    assert financials.with_ratios({**row, "revenue": 0, "deals_count": 0})["margin_pct"] is None


def test_negative_revenue_and_overdue_above_outstanding_are_refused(fresh_db, admin, two_accounts):
    with pytest.raises(ValidationError) as exc:
        financials.create_financials(fresh_db, admin, {"account_id": two_accounts[0], "year": 2025,
                                                       "revenue": -5, "gross_profit": -10})
    assert exc.value.problems[0].field == "revenue"
    with pytest.raises(ValidationError) as exc:
        financials.create_financials(fresh_db, admin, {"account_id": two_accounts[0], "year": 2025, "revenue": 5,
                                                       "gross_profit": 1, "receivables_outstanding": 1,
                                                       "receivables_overdue": 2})
    assert exc.value.problems[0].field == "receivables_overdue"
    assert fresh_db.execute("SELECT count(*) FROM account_financials").fetchone()[0] == 0


def test_import_with_good_rows_creates_and_updates_in_one_go(fresh_db, admin, two_accounts):
    financials.create_financials(fresh_db, admin, {"account_id": two_accounts[0], "year": 2024, "revenue": 1,
                                                   "gross_profit": 0})
    frame = _csv("Customer,Yr,Sales,GP,DSO\nalpha steel,2024,\"1,200\",300,45\nBeta Bank,2025,800,-20,\n")
    assert frame.attrs["decimal_mark"] is None  # "1,200" alone reads two ways: the page asks, here we pick
    frame.attrs["decimal_mark"] = "."
    mapping = {"account": "Customer", "year": "Yr", "revenue": "Sales", "gross_profit": "GP", "dso_days": "DSO"}
    report = financials.check_import(fresh_db, admin, frame, mapping)
    assert report.ok, [p.message() for p in report.problems]
    assert financials.commit_import(fresh_db, admin, report) == {"created": 1, "updated": 1}
    alpha = financials.list_financials(fresh_db, admin, two_accounts[0])[0]
    assert (alpha["revenue"], alpha["dso_days"], alpha["version"]) == (1200, 45, 2)


def test_import_reports_every_bad_row_and_field_and_writes_nothing(fresh_db, admin, two_accounts):
    frame = _csv(
        "account,year,revenue,gross_profit,price_cuts\n"
        "Alpha Steel,2025,-100,10,0\n"      # row 2: negative revenue
        "Beta Bank,2025,abc,10,1.5\n"       # row 3: not a number, fractional count
        "Gamma Mining,2025,100,10,0\n"      # row 4: unknown account
        "Beta Bank,2024,100,10,0\n"         # row 5: fine
        "Beta Bank,2024,90,10,0\n"          # row 6: repeats row 5
    )
    report = financials.check_import(fresh_db, admin, frame, financials.guess_mapping(list(frame.columns)))
    assert _problems(report) == {
        (2, "revenue", "reason.greater_than_equal"),
        (3, "revenue", "reason.not_a_number"),
        (3, "price_cuts", "reason.int_from_float"),
        (4, "account", "reason.unknown_import_account"),
        (6, "year", "reason.duplicate_account_year"),
    }
    messages = [p.message("en") for p in report.problems]
    assert "Row 4: Account: “Gamma Mining” is not an account in the war room" in messages
    with pytest.raises(ValidationError):
        financials.commit_import(fresh_db, admin, report)
    assert fresh_db.execute("SELECT count(*) FROM account_financials").fetchone()[0] == 0


def test_import_with_missing_columns_says_which(fresh_db, admin, two_accounts):
    frame = _csv("account,year,revenue\nAlpha Steel,2025,100\n")
    report = financials.check_import(fresh_db, admin, frame, financials.guess_mapping(list(frame.columns)))
    assert _problems(report) == {(None, "gross_profit", "reason.missing_column")}
    assert not report.rows


def test_import_refuses_rows_for_accounts_the_user_cannot_edit(fresh_db, admin, two_accounts):
    member = users.create_user(fresh_db, admin, "am.one", "AM One", "member-pass-1", "member")
    team.add_member(fresh_db, admin, two_accounts[0], member.id, "account_manager")
    frame = _csv("account,year,revenue,gross_profit\nAlpha Steel,2025,100,10\nBeta Bank,2025,100,10\n")
    report = financials.check_import(fresh_db, member, frame, financials.guess_mapping(list(frame.columns)))
    assert _problems(report) == {(3, "account", "reason.cannot_edit_account")}


def test_excel_files_are_read(fresh_db, admin, two_accounts):
    buffer = io.BytesIO()
    pd.DataFrame({"account": ["Alpha Steel"], "year": [2025], "revenue": [10.5], "gross_profit": [2]}).to_excel(
        buffer, index=False)
    frame = financials.read_table(buffer.getvalue(), "figures.xlsx")
    report = financials.check_import(fresh_db, admin, frame, financials.guess_mapping(list(frame.columns)))
    assert report.ok and report.rows[0]["revenue"] == 10.5


def test_unreadable_file_is_a_validation_error():
    with pytest.raises(ValidationError) as exc:
        financials.read_table(b"\x00\x01 not excel", "figures.xlsx")
    assert exc.value.problems[0].field == "file"


# --- fake key accounts ---------------------------------------------------------------------------------


def test_one_off_bulk_buyer_is_flagged_with_its_numbers():
    facts = {"cum_revenue": 1000, "best_year_revenue": 900, "deals_count": 1, "years_with_figures": 3}
    (flag,) = fake_key_accounts.flags_for(facts, FlagThresholds())
    assert flag.kind == "one_off"
    assert flag.numbers["best_year_share_pct"] == 90 and flag.numbers["deals_count"] == 1
    assert fake_key_accounts.flags_for({**facts, "deals_count": 5}, FlagThresholds()) == []


def test_high_volume_thin_margin_is_flagged_only_above_the_volume():
    facts = {"cum_revenue": 60_000_000, "margin_pct": 5.0, "best_year_revenue": 20_000_000, "years_with_figures": 3,
             "deals_count": 30}
    assert [f.kind for f in fake_key_accounts.flags_for(facts, FlagThresholds())] == ["thin_margin"]
    assert fake_key_accounts.flags_for({**facts, "cum_revenue": 40_000_000}, FlagThresholds()) == []
    assert fake_key_accounts.flags_for({**facts, "margin_pct": 8.1}, FlagThresholds()) == []


def test_squeezer_needs_enough_signals():
    limits = FlagThresholds(squeezer_dso_days=120, squeezer_overdue_pct=30, squeezer_price_cuts=2,
                            squeezer_min_signals=2)
    (flag,) = fake_key_accounts.flags_for({"dso_days": 150, "overdue_pct": 40, "price_cuts": 0}, limits)
    assert flag.kind == "squeezer"
    assert flag.numbers == {"dso_days": 150, "limit_dso_days": 120, "overdue_pct": 40, "limit_overdue_pct": 30,
                            "signals": 2}
    assert fake_key_accounts.flags_for({"dso_days": 150, "overdue_pct": 10, "price_cuts": 1}, limits) == []
    assert fake_key_accounts.flags_for({"dso_days": 150, "price_cuts": 3}, limits)[0].numbers["price_cuts"] == 3


# --- Pareto / ABC --------------------------------------------------------------------------------------


def test_pareto_cumulative_share_and_abc_classes():
    rows = pareto.pareto_table([(1, "A", 50), (2, "B", 30), (3, "C", 10), (4, "D", 6), (5, "E", 4)])
    assert [r.cumulative_pct for r in rows] == [50, 80, 90, 96, 100]
    # A while the share before the account is below 80, B below 95, else C
    assert [r.abc for r in rows] == ["A", "A", "B", "B", "C"]
    assert pareto.top_share(rows) == 50  # the top 20% of five accounts is one account


def test_top_twenty_percent_of_ten_accounts_is_two():
    rows = pareto.pareto_table([(i, f"n{i}", v) for i, v in enumerate([40, 25, 10, 5, 5, 5, 4, 3, 2, 1])])
    assert pareto.top_share(rows) == 65
    assert pareto.top_share([]) is None


# --- potential grid ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sales", "share", "horizon", "points", "priority"), [
    (250_000_000, 80, 5, 6, 1),
    (100_000_000, 50, 5, 4, 2),
    (250_000_000, 50, 5, 5, 1),
    (100_000_000, 50, 3, 3, 2),
    (50_000_000, 30, 1, 2, 3),
    (10_000_000, 20, 3, 1, 3),
])
def test_grid_priority_from_potential_share_and_horizon(sales, share, horizon, points, priority):
    cell = positioning.grid_cell(sales, share, horizon, GridThresholds())
    assert (cell.points, cell.priority) == (points, priority)


def test_grid_needs_all_three_inputs():
    assert positioning.grid_cell(None, 50, 3, GridThresholds()) is None


@pytest.mark.parametrize(("account_type", "position", "posture"), [
    ("strategic", "incumbent", "defense"),
    ("transactional", "strong_challenger", "offense"),
    ("strategic", "strong_challenger", "flank"),
    ("value", "challenger", "flank"),
    ("transactional", "outsider", "guerrilla"),
    ("value", None, None),
])
def test_recommended_posture_follows_type_and_position(account_type, position, posture):
    assert positioning.recommended_posture(account_type, position) == posture


def test_chosen_posture_is_versioned_and_audited(fresh_db, admin, two_accounts):
    a = two_accounts[0]
    first = positioning.save_position(fresh_db, admin, a, None, {"potential_sales": 300_000_000, "obtainable_share": 75,
                                                                  "horizon_years": 5, "our_position": "incumbent"})
    positioning.save_position(fresh_db, admin, a, first["version"],
                              {"chosen_posture": "defense", "rationale": "Lock in the platform"})
    got = positioning.get_position(fresh_db, admin, a)
    assert (got["priority"], got["recommended_posture"], got["chosen_posture"]) == (1, "defense", "defense")
    assert got["version"] == 2
    fields = {r[0] for r in fresh_db.execute("SELECT field FROM audit_log WHERE entity = 'account_position'")}
    assert {"chosen_posture", "rationale"} <= fields
    with pytest.raises(ValidationError):
        positioning.save_position(fresh_db, admin, a, 2, {"chosen_posture": "retreat"})
    assert positioning.get_position(fresh_db, admin, two_accounts[1]) is None


def test_position_of_a_foreign_account_is_not_found(fresh_db, admin, two_accounts):
    stranger = users.create_user(fresh_db, admin, "stranger", "Stranger", "member-pass-1", "member")
    with pytest.raises(NotFoundError):
        positioning.get_position(fresh_db, stranger, two_accounts[0])


# --- overview ------------------------------------------------------------------------------------------


def test_overview_has_one_row_per_account_with_tier_figures_and_flags(fresh_db, admin, two_accounts):
    a, b = two_accounts
    for year, revenue in ((2024, 1_000_000), (2025, 60_000_000), (2026, 2_000_000)):
        financials.create_financials(fresh_db, admin, {"account_id": a, "year": year, "revenue": revenue,
                                                       "gross_profit": revenue * 0.04, "deals_count": 0})
    draft = tiering.create_draft(fresh_db, admin, "v1")
    agree_and_activate(fresh_db, admin, draft)
    rows = {r["name"]: r for r in overview.overview(fresh_db, admin, 2025)}
    assert rows["Alpha Steel"]["revenue"] == 60_000_000
    assert rows["Alpha Steel"]["criteria_number"] == 1
    assert set(rows["Alpha Steel"]["flags"]) == {"one_off", "thin_margin"}
    assert rows["Beta Bank"]["revenue"] is None and rows["Beta Bank"]["tier"] == "small"


def test_overview_adds_no_placeholder_columns_when_other_capabilities_have_no_data(fresh_db, admin, two_accounts):
    rows = overview.overview(fresh_db, admin)
    assert len(rows) == 2
    # health is measured for every account (an empty plan scores low); no other feature figure is invented
    assert not [k for r in rows for k in r if k in overview.FEATURE_COLUMNS and k != "health_score"]


def test_walk_order_puts_key_accounts_first_and_parses_deep_links(fresh_db, admin, two_accounts):
    a, b = two_accounts
    financials.create_financials(fresh_db, admin, {"account_id": b, "year": 2025, "revenue": 200_000_000,
                                                   "gross_profit": 40_000_000})
    draft = tiering.create_draft(fresh_db, admin, "v1")
    agree_and_activate(fresh_db, admin, draft)
    assert overview.walk_order(fresh_db, admin) == [b, a]
    assert overview.parse_order(f"{a}, x,{b},{a},999", [a, b]) == [a, b]
    card = overview.account_card(fresh_db, admin, b)
    assert card["tier"]["criteria_number"] == 1 and card["financials"][0]["revenue"] == 200_000_000
