"""Files shaped like Salesforce, HubSpot, Twenty and Odoo exports import with nothing required that they lack;
decimal marks, currencies, control characters and the bad inputs of issues 26 and 29; ids never reused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kamcore import accounts, clock, product_lines, records
from kamcore.data.imports import accounts as acc_import
from kamcore.data.imports import files
from kamcore.errors import ValidationError
from kamcore.pipeline import deal_import as oi
from kamcore.pipeline import opportunities as opp

SHAPES = Path(__file__).resolve().parent / "crm-shapes"
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
# (accounts file, its picked currency, deals file, picked deal currency when the file has no column)
CRMS = {
    "salesforce": ("salesforce-accounts.csv", "EUR", "salesforce-opportunities.csv", None),
    "hubspot": ("hubspot-companies.csv", "EUR", "hubspot-deals.csv", "EUR"),
    "twenty": ("twenty-companies.csv", "GBP", "twenty-opportunities.csv", None),
    "odoo": ("odoo-customers.csv", "USD", "odoo-pipeline.csv", None),
}


def _count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _read(name: str, **kw):
    return files.read_table((SHAPES / name).read_bytes(), name, **kw)


def _deal_mapping(db, frame, currency=None, **kw):
    """What the person confirms on the page: the guessed columns and the suggested stage for every value."""
    columns = oi.guess_mapping(list(frame.columns))
    stages = oi.suggest_values(db, "stage", oi.distinct_values(frame, columns["stage"]))
    assert None not in stages.values(), stages  # every stage name got a suggestion by meaning
    return oi.ImportMapping(columns=columns, values={"stage": stages}, default_currency=currency, **kw)


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_a_crm_export_imports_with_nothing_required_that_it_lacks(fresh_db, admin, crm):
    accounts_file, account_currency, deals_file, deal_currency = CRMS[crm]
    with clock.at(NOW):
        companies = _read(accounts_file)
        mapping = acc_import.AccountMapping(columns=acc_import.guess_mapping(list(companies.columns)),
                                            default_currency=account_currency)
        plan = acc_import.plan_accounts(fresh_db, admin, companies, mapping)
        assert plan.ok, plan.problems
        acc_import.commit_accounts(fresh_db, admin, plan)
        assert _count(fresh_db, "accounts") == len(companies)
        deals = _read(deals_file)
        before = _count(fresh_db, "opportunities")
        deal_plan = oi.plan_import(fresh_db, admin, deals, _deal_mapping(fresh_db, deals, deal_currency))
        assert deal_plan.ok, [p.message("en") for p in deal_plan.problems]
        assert oi.commit_import(fresh_db, admin, deal_plan) == len(deals)
    assert _count(fresh_db, "opportunities") - before == len(deals)
    # nothing required that the file lacks: no product line, blank industry or region stay blank
    assert fresh_db.execute("SELECT count(*) FROM opportunities WHERE product_line_id IS NOT NULL").fetchone()[0] == 0
    assert _count(fresh_db, "product_lines") == 0
    blanks = fresh_db.execute("SELECT count(*) FROM accounts WHERE industry IS NULL OR region IS NULL").fetchone()[0]
    assert blanks == sum(1 for r in companies.to_dict("records")
                         if not r.get(mapping.columns.get("industry", ""), "") or
                         not r.get(mapping.columns.get("region", ""), ""))
    # won and lost deals carry no invented stage history or close reason
    closed = fresh_db.execute("SELECT id, close_reason FROM opportunities WHERE status <> 'open'").fetchall()
    assert closed and all(reason == "" for _, reason in closed)
    moved = {r[0] for r in fresh_db.execute("SELECT opportunity_id FROM stage_history")}
    assert not moved & {i for i, _ in closed}
    # the file's amounts exactly, in whole units (no division by a stored unit)
    amount_column = oi.guess_mapping(list(deals.columns))["amount"]
    given = sorted(Decimal(a) for a in deals[amount_column] if a)
    stored = sorted(Decimal(str(a)) for (a,) in fresh_db.execute(
        "SELECT amount FROM opportunities WHERE amount IS NOT NULL"))
    assert stored == given


def test_the_shapes_columns_are_recognised():
    guessed = {crm: oi.guess_mapping(list(_read(deals).columns)) for crm, (_, _, deals, _) in CRMS.items()}
    assert guessed["salesforce"]["account"] == "Account Name" and guessed["salesforce"]["currency"] == (
        "Opportunity Currency")
    assert (guessed["hubspot"]["account"], guessed["hubspot"]["stage"]) == ("Associated Company", "Deal Stage")
    assert (guessed["twenty"]["account"], guessed["twenty"]["owner"]) == ("Company", "Point of Contact")
    assert (guessed["odoo"]["account"], guessed["odoo"]["amount"]) == ("Customer", "Expected Revenue")
    chinese = oi.guess_mapping(["客户名称", "商机名称", "销售阶段", "商机金额", "负责人", "预计成交日期"])
    assert chinese == {"account": "客户名称", "name": "商机名称", "stage": "销售阶段", "amount": "商机金额",
                       "owner": "负责人", "expected_close": "预计成交日期"}
    assert acc_import.guess_mapping(["Organization", "Industry"])["name"] == "Organization"
    assert acc_import.guess_mapping(["公司名称"])["name"] == "公司名称"


# ---------------------------------------------------------------- decimal marks and currency (issue 26, item 4)


@pytest.fixture
def harbour(fresh_db, admin):
    account = accounts.create_account(fresh_db, admin, {"name": "Harbour Mobile", "currency": "HKD"})
    return fresh_db, admin, account["id"]


MAPPING = {"external_id": "id", "account": "account", "stage": "stage", "amount": "close_value",
           "closed_on": "close_date"}


def test_a_semicolon_file_with_decimal_commas_imports_exact_amounts(harbour):
    db, admin, _ = harbour
    frame = _read("decimal-comma.csv")
    assert (frame.attrs["separator"], frame.attrs["decimal_mark"]) == (";", ",")
    plan = oi.plan_import(db, admin, frame, oi.ImportMapping(columns=MAPPING, account_currency=True))
    assert plan.ok and plan.decimal_example == "1054,00 → 1,054.00"
    assert plan.currencies == {"HKD": 3} and plan.currency_source == "account"
    oi.commit_import(db, admin, plan)
    got = dict(db.execute("SELECT external_id, amount FROM opportunities").fetchall())
    assert got == {"E1": 1054.0, "E2": 1234567.89, "E3": 12.5}


def test_an_ambiguous_file_waits_for_the_pick(harbour):
    db, admin, _ = harbour
    frame = _read("ambiguous.csv")
    assert frame.attrs["decimal_mark"] is None
    with pytest.raises(ValidationError) as caught:
        oi.plan_import(db, admin, frame, oi.ImportMapping(columns=MAPPING, account_currency=True))
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("amount", "reason.decimal_mark_needed")]
    assert _count(db, "opportunities") == 0
    # read with a decimal comma, "1,054" is 1.054, rounded to the cent like every amount (money.amount)
    for mark, expected in ((",", {"M1": 1.05, "M2": 2.5}), (".", {"M1": 1054.0, "M2": 2500.0})):
        plan = oi.plan_import(db, admin, frame, oi.ImportMapping(columns=MAPPING, account_currency=True,
                                                                 decimal_mark=mark))
        assert plan.ok
        assert {r["values"]["external_id"]: r["values"]["amount"] for r in plan.rows} == expected


@pytest.mark.parametrize(("cell", "reason"), [
    ("1.234.567,89", "reason.amount_wrong_mark"),  # in a decimal-point file
    ("1.5.2", "reason.amount_wrong_mark"),  # two decimal marks
    ("12 EUR", "reason.amount_not_number"),  # letters
    ("1O54", "reason.amount_not_number"),
])
def test_an_amount_that_does_not_read_names_row_and_field_and_writes_nothing(harbour, cell, reason):
    db, admin, _ = harbour
    text = f'id,account,stage,close_value\nP1,Harbour Mobile,lead,10.50\nP2,Harbour Mobile,lead,"{cell}"\n'
    frame = files.read_table(text.encode(), "d.csv")
    assert frame.attrs["decimal_mark"] == "."
    plan = oi.plan_import(db, admin, frame, oi.ImportMapping(columns={k: v for k, v in MAPPING.items()
                                                                      if k != "closed_on"}, account_currency=True))
    assert [(p.row, p.field, p.reason_key) for p in plan.problems] == [(3, "amount", reason)]
    assert "Row 3" in plan.problems[0].message("en") and cell in plan.problems[0].message("en")
    with pytest.raises(ValidationError):
        oi.commit_import(db, admin, plan)
    assert _count(db, "opportunities") == 0


def test_currency_is_never_a_silent_default(harbour):
    db, admin, _ = harbour
    frame = files.read_table(b"id,account,stage,close_value\nC1,Harbour Mobile,lead,10\n", "d.csv")
    columns = {k: v for k, v in MAPPING.items() if k != "closed_on"}
    with pytest.raises(ValidationError) as caught:
        oi.plan_import(db, admin, frame, oi.ImportMapping(columns=columns))
    assert [(p.field, p.reason_key) for p in caught.value.problems] == [("currency", "reason.currency_not_picked")]
    picked = oi.plan_import(db, admin, frame, oi.ImportMapping(columns=columns, default_currency="EUR"))
    assert (picked.currencies, picked.currency_source) == ({"EUR": 1}, "picked")
    # an unknown currency code in the file is refused naming row and field
    frame = files.read_table(b"id,account,stage,close_value,currency\nC1,Harbour Mobile,lead,10,XYZ\n", "d.csv")
    plan = oi.plan_import(db, admin, frame, oi.ImportMapping(columns={**columns, "currency": "currency"}))
    assert [(p.row, p.field, p.reason_key) for p in plan.problems] == [(2, "currency", "reason.unknown_currency")]
    # accounts too: a new account without a currency column waits for the pick
    companies = files.read_table(b"name\nNew Co\n", "a.csv")
    plan = acc_import.plan_accounts(db, admin, companies, acc_import.AccountMapping(columns={"name": "name"}))
    assert [(p.row, p.field, p.reason_key) for p in plan.problems] == [(2, "currency", "reason.currency_not_picked")]


# ---------------------------------------------------------------- control characters, one reader for every import


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x1b"])
def test_a_control_character_in_any_cell_refuses_the_file_naming_row_and_column(char):
    text = f"id,account,owner\nA1,Harbour Mobile,Ann\nA2,Harbour Mobile,Bo{char}b\n"
    for name, data in (("d.csv", text.encode()), ("d.csv", text.encode("utf-16"))):
        with pytest.raises(files.ImportFileError) as caught:
            files.read_table(data, name)
        assert [(p.row, p.field, p.reason_key) for p in caught.value.problems] == [
            (3, "owner", "reason.control_character_cell")]
        assert caught.value.message("en").startswith("Row 3")


def test_financials_and_rates_read_a_gbk_semicolon_file_like_every_import(fresh_db, admin):
    from kamcore import money
    from kamcore.portfolio import financials

    accounts.create_account(fresh_db, admin, {"name": "华信半导体", "currency": "CNY"})
    data = "account;year;revenue;gross_profit\n华信半导体;2025;1.234,50;300,25\n".encode("gb18030")
    frame = financials.read_table(data, "f.csv")
    report = financials.check_import(fresh_db, admin, frame, financials.guess_mapping(list(frame.columns)))
    assert report.ok, report.problems
    assert report.rows[0]["revenue"] == 1234.5
    rates, problems = money.check_rates_csv(fresh_db, "currency;year;rate\nUSD;2025;7,1\n".encode("gb18030"))
    assert not problems and rates[0]["rate"] == 7.1
    with pytest.raises(ValidationError) as caught:
        financials.read_table(b"account,year\nA\x0b,2025\n", "f.csv")
    assert caught.value.problems[0].reason_key == "reason.control_character_cell"


# ---------------------------------------------------------------- bad input of issue 29


def test_a_file_whose_only_column_is_unknown_is_refused_naming_the_fields(harbour):
    db, admin, _ = harbour
    frame = files.read_table(b"favourite colour\nteal\n", "d.csv")
    with pytest.raises(ValidationError) as caught:
        oi.plan_import(db, admin, frame, oi.ImportMapping(columns=oi.guess_mapping(list(frame.columns)),
                                                          default_currency="USD"))
    assert {(p.field, p.reason_key) for p in caught.value.problems} == {
        ("account", "reason.column_not_mapped"), ("stage", "reason.column_not_mapped")}
    assert _count(db, "opportunities") == 0


def test_one_stage_name_mapped_to_two_stages_is_refused(harbour):
    db, admin, _ = harbour
    frame = files.read_table(b"account,stage\nHarbour Mobile,Won\nHarbour Mobile,WON\n", "d.csv")
    mapping = oi.ImportMapping(columns={"account": "account", "stage": "stage"}, account_currency=True,
                               values={"stage": {"Won": "won", "WON": "lost"}})
    with pytest.raises(ValidationError) as caught:
        oi.plan_import(db, admin, frame, mapping)
    problem = caught.value.problems[0]
    assert (problem.field, problem.reason_key) == ("stage", "reason.value_mapped_twice")
    assert "won" in problem.message("en") and "lost" in problem.message("en")


def test_a_crm_id_twice_in_one_file_names_both_rows(harbour):
    db, admin, _ = harbour
    frame = files.read_table(b"id,account,stage\nX1,Harbour Mobile,lead\nX1,Harbour Mobile,lead\n", "d.csv")
    plan = oi.plan_import(db, admin, frame, oi.ImportMapping(columns={"external_id": "id", "account": "account",
                                                                      "stage": "stage"}, account_currency=True))
    assert [(p.row, p.field, p.reason_key, p.params["other"]) for p in plan.problems] == [
        (3, "external_id", "reason.duplicate_in_file", 2)]


def test_a_reimport_of_a_deal_deleted_in_the_war_room_is_refused_naming_the_row(harbour):
    db, admin, _ = harbour
    text = b"id,account,stage\nX1,Harbour Mobile,lead\nX2,Harbour Mobile,lead\n"
    mapping = oi.ImportMapping(columns={"external_id": "id", "account": "account", "stage": "stage"},
                               account_currency=True)
    oi.commit_import(db, admin, oi.plan_import(db, admin, files.read_table(text, "d.csv"), mapping))
    gone = records.get(db, opp.OPPORTUNITY, db.execute("SELECT id FROM opportunities WHERE external_id = 'X2'")
                       .fetchone()[0])
    records.delete(db, admin, opp.OPPORTUNITY, gone["id"], gone["version"])
    before = _count(db, "audit_log")
    plan = oi.plan_import(db, admin, files.read_table(text, "d.csv"), mapping)
    assert [(p.row, p.field, p.reason_key) for p in plan.problems] == [(3, "external_id", "reason.reimport_deleted")]
    with pytest.raises(ValidationError):
        oi.commit_import(db, admin, plan)
    assert _count(db, "audit_log") == before and _count(db, "opportunities") == 1


# ---------------------------------------------------------------- ids are never reused


def test_deleting_the_newest_deal_then_importing_reuses_no_id_and_every_history_is_one_record(harbour):
    db, admin, account = harbour
    line = product_lines.create_product_line(db, admin, {"code": "CORE", "name": "Core"})
    with clock.at(NOW):
        made = [opp.create_opportunity(db, admin, {"account_id": account, "product_line_id": line["id"],
                                                   "name": name}) for name in ("Deal A", "Deal B")]
        newest = made[-1]
        records.delete(db, admin, opp.OPPORTUNITY, newest["id"], newest["version"])
        frame = files.read_table(b"id,account,stage,product\nN1,Harbour Mobile,lead,CORE\n"
                                 b"N2,Harbour Mobile,lead,CORE\n", "d.csv")
        plan = oi.plan_import(db, admin, frame, oi.ImportMapping(
            columns={"external_id": "id", "account": "account", "stage": "stage", "product_line": "product"},
            account_currency=True))
        oi.commit_import(db, admin, plan)
        hand_made = opp.create_opportunity(db, admin, {"account_id": account, "product_line_id": line["id"],
                                                       "name": "CORE · Acme"})
    ids = [r[0] for r in db.execute("SELECT id FROM opportunities ORDER BY id")]
    assert newest["id"] not in ids and min(i for i in ids if i != made[0]["id"]) > newest["id"]
    assert hand_made["id"] == max(ids)
    for entity_id in {r[0] for r in db.execute("SELECT entity_id FROM audit_log WHERE entity = 'opportunity'")}:
        rows = db.execute("SELECT action, field FROM audit_log WHERE entity = 'opportunity' AND entity_id = ? "
                          "ORDER BY id", [entity_id]).fetchall()
        created = [f for a, f in rows if a == "create"]
        assert rows[0][0] == "create" and len(created) == len(set(created)), (entity_id, rows)  # one creation
        actions = [a for a, _ in rows]
        assert "delete" not in actions or set(actions[actions.index("delete"):]) == {"delete"}  # nothing after
