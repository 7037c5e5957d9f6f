"""Accounts, contacts and products imports: the Maven sample's hierarchy, org charts as decision
chains, encodings, and every bad input refused whole with row numbers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from kamcore import accounts, team, users
from kamcore.data.imports import accounts as acc_import
from kamcore.data.imports import contacts as contact_import
from kamcore.data.imports import files
from kamcore.data.imports import products as product_import
from kamcore.decision_chain import relationship_map, stakeholders
from kamcore.errors import NotFoundError, PermissionDenied, ValidationError
from kamcore.pipeline import deal_import as oi

MAVEN = Path(__file__).resolve().parent / "maven-crm"


def _count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _accounts(db, actor, text, **kw):
    frame = files.read_table(text.encode("utf-8"), "a.csv")
    kw.setdefault("default_currency", "HKD")  # picked: an import never assumes one
    mapping = acc_import.AccountMapping(columns=kw.pop("columns", acc_import.guess_mapping(list(frame.columns))), **kw)
    return acc_import.plan_accounts(db, actor, frame, mapping)


def test_maven_accounts_keep_sector_as_given_parents_and_extra_columns(fresh_db, admin):
    frame = files.read_table((MAVEN / "accounts.csv").read_bytes(), "accounts.csv")
    mapping = acc_import.AccountMapping(columns=acc_import.guess_mapping(list(frame.columns)),
                                        default_currency="USD")
    assert mapping.columns == {"name": "account", "industry": "sector", "region": "office_location",
                               "parent": "subsidiary_of"}
    plan = acc_import.plan_accounts(fresh_db, admin, frame, mapping)
    assert plan.ok, plan.problems[:3]
    result = acc_import.commit_accounts(fresh_db, admin, plan)
    raw = pd.read_csv(MAVEN / "accounts.csv")
    assert (result["created"], result["parents"]) == (85, int(raw.subsidiary_of.notna().sum())) == (85, 15)
    got = {r[0]: r[1] for r in fresh_db.execute("SELECT name, industry FROM accounts")}
    assert got == dict(zip(raw.account, raw.sector, strict=True))
    assert got["Acme Corporation"] == "technolgy"  # the file's spelling, not ours
    parents = {r[0]: r[1] for r in fresh_db.execute(
        "SELECT c.name, p.name FROM accounts c JOIN accounts p ON p.id = c.parent_id")}
    assert parents == dict(raw.dropna(subset=["subsidiary_of"])[["account", "subsidiary_of"]].values.tolist())
    attrs = json.loads(fresh_db.execute("SELECT attributes FROM accounts WHERE name = 'Acme Corporation'").fetchone()[0])
    assert attrs == {"year_established": "1996", "revenue": "1100.04", "employees": "2822"}
    # a group's roll-up counts its subsidiaries
    groups = {g["name"]: g for g in accounts.rollup(fresh_db, admin)}
    assert sum(len(g["subsidiaries"]) for g in groups.values()) == 15
    # the same file again with the same preview: nothing written twice
    assert acc_import.commit_accounts(fresh_db, admin, plan)["repeated"] is True
    assert _count(fresh_db, "accounts") == 85


def test_update_or_create_by_a_key_column(fresh_db, admin):
    first = _accounts(fresh_db, admin, "crm_id,name,industry,region\nC1,Harbour,Telecom,HK\n", key="crm_id")
    acc_import.commit_accounts(fresh_db, admin, first)
    again = _accounts(fresh_db, admin, "crm_id,name,industry,region\nC1,Harbour Mobile,Telecom,HK\n", key="crm_id")
    assert (len(again.creates), len(again.updates)) == (0, 1)
    acc_import.commit_accounts(fresh_db, admin, again)
    assert [r[0] for r in fresh_db.execute("SELECT name FROM accounts")] == ["Harbour Mobile"]


@pytest.mark.parametrize(("text", "field", "reason", "row"), [
    ("name,industry,region\nA,T,R\na,T,R\n", "name", "reason.duplicate_in_file", 3),
    ("name,industry,region,parent\nA,T,R,Nowhere\n", "parent", "reason.parent_unknown", 2),
    ("name,industry,region,parent\nA,T,R,B\nB,T,R,A\n", "parent", "reason.parent_cycle", 2),
    ("name,industry,region,parent\nA,T,R,A\n", "parent", "reason.parent_cycle", 2),
    ("name,industry,region\n,T,R\n", "name", "reason.missing", 2),
])
def test_bad_account_rows_are_refused_with_row_numbers_and_nothing_written(fresh_db, admin, text, field, reason, row):
    plan = _accounts(fresh_db, admin, text)
    assert (plan.problems[0].field, plan.problems[0].reason_key, plan.problems[0].row) == (field, reason, row)
    with pytest.raises(ValidationError):
        acc_import.commit_accounts(fresh_db, admin, plan)
    assert _count(fresh_db, "accounts") == 0


def test_a_fill_rule_for_blanks_is_counted(fresh_db, admin):
    plan = _accounts(fresh_db, admin, "name,industry,region\nA,,R\nB,T,R\n", fill={"industry": "unknown"})
    assert plan.ok and plan.filled == {"industry": 1}


def test_a_cycle_through_existing_accounts_is_refused(fresh_db, admin):
    acc_import.commit_accounts(fresh_db, admin, _accounts(fresh_db, admin, "name,industry,region,parent\nG,T,R,\nS,T,R,G\n"))
    plan = _accounts(fresh_db, admin, "name,industry,region,parent\nG,T,R,S\n")
    assert [p.reason_key for p in plan.problems] == ["reason.parent_cycle"]


def test_a_member_cannot_create_accounts_but_updates_their_own(fresh_db, admin):
    own = accounts.create_account(fresh_db, admin, {"name": "Own", "industry": "T", "region": "R"})
    am = users.create_user(fresh_db, admin, "am.user", "AM", "password-1", "member")
    team.add_member(fresh_db, admin, own["id"], am.id, "account_manager", first_responsible=True)
    plan = _accounts(fresh_db, am, "name,industry,region\nOwn,Telecom,R\nOther,T,R\n")
    assert [(p.row, p.reason_key) for p in plan.problems] == [(3, "reason.import_create_admin_only")]
    ok = _accounts(fresh_db, am, "name,industry,region\nOwn,Telecom,R\n")
    acc_import.commit_accounts(fresh_db, am, ok)
    assert fresh_db.execute("SELECT industry FROM accounts").fetchone()[0] == "Telecom"


# ---------------------------------------------------------------- contacts


ORG = ("name,title,department,level,reports_to,role,stance\n"
       "Wang Hua,CEO,Board,decision,,decision_maker,supporter\n"
       "Li Na,CTO,IT,management,Wang Hua,technical_evaluator,neutral\n"
       "Zhao Lei,Engineer,IT,execution,Li Na,user,coach\n"
       "Sun Mei,Buyer,Procurement,execution,wang hua,purchaser,opponent\n")


@pytest.fixture
def account(fresh_db, admin):
    return accounts.create_account(fresh_db, admin, {"name": "Harbour", "industry": "T", "region": "R"})["id"]


def _contacts(db, actor, account_id, text, **kw):
    frame = files.read_table(text.encode("utf-8"), "c.csv")
    mapping = contact_import.ContactMapping(columns=contact_import.guess_mapping(list(frame.columns)), **kw)
    return contact_import.plan_contacts(db, actor, account_id, frame, mapping)


def test_an_org_chart_becomes_a_decision_chain_whose_map_shows_the_hierarchy(fresh_db, admin, account):
    plan = _contacts(fresh_db, admin, account, ORG)
    assert plan.ok, plan.problems
    assert contact_import.commit_contacts(fresh_db, admin, plan) == {"rows": 4, "links": 3, "repeated": False}
    people = {p["name"]: p for p in stakeholders.list_stakeholders(fresh_db, admin, account)}
    assert (people["Li Na"]["level"], people["Li Na"]["roles"], people["Sun Mei"]["stance"]) == (
        "management", "technical_evaluator", "opponent")
    links = {(people_by_id["from"], people_by_id["to"]) for people_by_id in [
        {"from": next(n for n, p in people.items() if p["id"] == link["from_id"]),
         "to": next(n for n, p in people.items() if p["id"] == link["to_id"])}
        for link in stakeholders.list_links(fresh_db, admin, account)]}
    assert links == {("Li Na", "Wang Hua"), ("Zhao Lei", "Li Na"), ("Sun Mei", "Wang Hua")}
    data = relationship_map.map_data(fresh_db, admin, account)
    by_id = {p["id"]: p["name"] for p in data["people"]}
    drawn = {(by_id[x["from_id"]], by_id[x["to_id"]]) for x in data["links"] if x["kind"] == "reports_to"}
    assert drawn == links
    html = relationship_map.build_html(data, "en")
    assert "Wang Hua" in html and "reports_to" not in html.split("<body")[-1][:0]


def test_reports_to_by_email(fresh_db, admin, account):
    text = "name,email,reports_to\nA,a@x.cn,\nB,b@x.cn,a@x.cn\n"
    plan = _contacts(fresh_db, admin, account, text)
    assert plan.ok and contact_import.commit_contacts(fresh_db, admin, plan)["links"] == 1


@pytest.mark.parametrize(("text", "reason", "row"), [
    ("name,reports_to\nA,B\nB,C\nC,A\n", "reason.reports_to_cycle", 2),
    ("name,reports_to\nA,A\n", "reason.reports_to_cycle", 2),
    ("name,reports_to\nA,Nobody\n", "reason.reports_to_unknown", 2),
    ("name,level\nA,emperor\n", "reason.unknown_choice", 2),
    ("name\nA\na\n", "reason.duplicate_in_file", 3),
])
def test_bad_org_charts_are_refused_and_nothing_written(fresh_db, admin, account, text, reason, row):
    plan = _contacts(fresh_db, admin, account, text)
    assert (plan.problems[0].reason_key, plan.problems[0].row) == (reason, row)
    with pytest.raises(ValidationError):
        contact_import.commit_contacts(fresh_db, admin, plan)
    assert _count(fresh_db, "stakeholders") == 0


def test_team_members_import_contacts_into_their_own_accounts_only(fresh_db, admin, account):
    other = accounts.create_account(fresh_db, admin, {"name": "Other", "industry": "T", "region": "R"})["id"]
    am = users.create_user(fresh_db, admin, "am.user", "AM", "password-1", "member")
    team.add_member(fresh_db, admin, account, am.id, "account_manager", first_responsible=True)
    assert _contacts(fresh_db, am, account, ORG).ok
    with pytest.raises((PermissionDenied, NotFoundError)):  # another team's account is not even visible
        _contacts(fresh_db, am, other, ORG)


def test_profile_columns_go_only_to_team_only_fields(fresh_db, admin, account):
    text = "name,family\nA,two children\n"
    frame = files.read_table(text.encode(), "c.csv")
    am = users.create_user(fresh_db, admin, "am.user", "AM", "password-1", "member")
    team.add_member(fresh_db, admin, account, am.id, "account_manager", first_responsible=True)
    plan = contact_import.plan_contacts(fresh_db, am, account, frame, contact_import.ContactMapping(
        columns={"name": "name", "profile_family": "family"}))
    contact_import.commit_contacts(fresh_db, am, plan)
    assert fresh_db.execute("SELECT profile_family, notes FROM stakeholders").fetchone() == ("two children", "")
    viewer = users.create_user(fresh_db, admin, "viewer.user", "V", "password-1", "member")
    team.add_member(fresh_db, admin, account, viewer.id, "viewer")
    with pytest.raises(PermissionDenied):
        contact_import.plan_contacts(fresh_db, viewer, account, frame, contact_import.ContactMapping(
            columns={"name": "name", "profile_family": "family"}))


# ---------------------------------------------------------------- products, files, exports


def test_maven_products_then_gtxpro_suggested_as_gtx_pro(fresh_db, admin):
    frame = files.read_table((MAVEN / "products.csv").read_bytes(), "products.csv")
    plan = product_import.plan_products(fresh_db, admin, frame, product_import.guess_mapping(list(frame.columns)))
    assert plan.ok and len(plan.creates) == 7
    product_import.commit_products(fresh_db, admin, plan)
    again = product_import.plan_products(fresh_db, admin, frame, {"name": "product"})
    assert (len(again.creates), len(again.existing)) == (0, 7)
    assert oi.suggest_values(fresh_db, "product_line", ["GTXPro", "MG Special", "Fridge"]) == {
        "GTXPro": "GTX Pro", "MG Special": "MG Special", "Fridge": None}
    assert oi.suggest_values(fresh_db, "stage", ["Won", "Engaging"])["Won"] == "won"


@pytest.mark.parametrize("encoding", ["utf-16", "gbk", "gb18030", "utf-8-sig", "big5"])
def test_encodings_are_detected_without_picking(encoding):
    text = "account,sector\n華信半導體,科技\n台積電,半導體\n" if encoding == "big5" else \
        "account,sector\n华信半导体,科技\n上海电气集团,能源\n"
    frame = files.read_table(text.encode(encoding), "x.csv")
    assert frame.attrs["detected"] is True
    assert list(frame.iloc[0]) == text.splitlines()[1].split(",")


@pytest.mark.parametrize(("text", "encoding", "expected"), [
    ("华信", "gbk", "gb18030"), ("张敏", "gbk", "gb18030"), ("name\n客户\n", "gbk", "gb18030"),
    ("客戶", "big5", "big5"), ("台積電", "big5", "big5"), ("name\n華信\n", "big5", "big5"),
])
def test_two_or_three_chinese_characters_get_the_right_encoding(text, encoding, expected):
    """Too short for statistics (charset-normalizer called most of the GBK ones Big5): byte ranges decide."""
    assert files.detect_encoding(text.encode(encoding)) == expected


def test_excel_utf16_tab_separated_text_reads():
    frame = files.read_table("name\tsector\n华信\t科技\n".encode("utf-16"), "x.txt")
    assert list(frame.columns) == ["name", "sector"] and frame.iloc[0]["name"] == "华信"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "reason.file_empty"), (b"\xef\xbb\xbf", "reason.file_empty"), (b"name,industry\r\n", "reason.file_no_rows"),
    (b"name,name\nA,B\n", "reason.file_duplicate_column"),
])
def test_bad_files_are_refused(data, reason):
    with pytest.raises(files.ImportFileError) as caught:
        files.read_table(data, "x.csv")
    assert caught.value.problems[0].reason_key == reason


def test_a_missing_column_is_refused(fresh_db, admin):
    frame = files.read_table(b"name\nA\n", "x.csv")
    with pytest.raises(ValidationError) as caught:
        acc_import.plan_accounts(fresh_db, admin, frame, acc_import.AccountMapping(columns={"name": "nom"}))
    assert caught.value.problems[0].reason_key == "reason.column_missing"


def test_formulas_are_stored_as_text_and_neutralised_in_exports(fresh_db, admin):
    hostile = "=cmd|' /C calc'!A0"
    plan = _accounts(fresh_db, admin, f'name,industry,region\n"{hostile}",@SUM(1),+1\n')
    acc_import.commit_accounts(fresh_db, admin, plan)
    assert fresh_db.execute("SELECT name FROM accounts").fetchone()[0] == hostile  # kept as the user's text
    frame = pd.DataFrame([{"name": hostile, "note": "-2+3", "tab": "\tx", "ok": "fine", "n": -4,
                           "ctl": "a\x0bb\x00c"}])
    back = pd.read_csv(io.BytesIO(oi.to_csv_bytes(frame)), encoding="utf-8-sig", dtype=str)
    assert list(back.iloc[0]) == ["'" + hostile, "'-2+3", "'\tx", "fine", "-4", "abc"]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(oi.to_excel_bytes(frame))).active
    cells = [c.value for c in sheet[2]]
    assert cells[0] == "'" + hostile and cells[4] == -4 and cells[5] == "abc"
    assert all(c.data_type != "f" for c in sheet[2])
