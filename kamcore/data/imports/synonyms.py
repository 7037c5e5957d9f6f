"""The one table of what CRM exports call things: column names and stage names, per field.

Column names are compared folded (case, spaces, underscores, dashes, dots and "·" ignored), so
"Close Date", "close_date" and "CloseDate" are one name. The lists follow the exports as the
products document them: Salesforce (Account Name, Opportunity Name, Stage, Close Date, Amount,
Opportunity Owner), HubSpot (Company name, Deal Name, Deal Stage, Close Date, Amount, Deal owner,
Record ID), Microsoft Dynamics 365 (Account Name, Topic, Est. Revenue, Est. Close Date, Owner),
Odoo (Customer, Opportunity, Stage, Expected Revenue, Expected Closing, Salesperson), Twenty
(company, name, stage, amount, closeDate, pointOfContact), 纷享销客 and 销售易 (客户名称, 商机名称,
销售阶段, 预计成交日期, 商机金额, 负责人).

Stage names are suggested by meaning for the person to confirm: words that mean won (closed won,
customer, 赢单 …) and lost (closed lost, 输单 …) map to the close statuses; an open stage of a known
CRM pipeline maps to the open stage at the same relative place in ours (NEW → the first,
PROPOSAL → a late one).
"""

from __future__ import annotations

from collections.abc import Iterable

from kamcore.data.imports.matching import norm

DEALS: dict[str, tuple[str, ...]] = {
    "account": ("account", "account_name", "accountname", "account_id.name", "company", "company_name",
                "associated_company", "organization", "organisation", "customer", "partner", "partner_id",
                "companyname", "客户", "客户名称", "公司名称", "所属客户", "客户名"),
    "product_line": ("product_line", "product_line_code", "product", "product_name", "product_family",
                     "产品线", "产品", "产品名称"),
    "stage": ("stage", "deal_stage", "dealstage", "stage_name", "stage_id", "sales_stage", "pipeline_stage",
              "opportunity_stage", "阶段", "销售阶段", "商机阶段"),
    "external_id": ("external_id", "opportunity_id", "deal_id", "record_id", "id", "crm_id", "opportunity_id",
                    "商机编号", "商机id", "编号"),
    "name": ("name", "opportunity_name", "opportunity", "deal_name", "deal", "topic", "title", "商机名称", "商机"),
    "amount": ("amount", "close_value", "value", "deal_amount", "expected_revenue", "est_revenue",
               "estimated_revenue", "amount_amountmicros", "金额", "商机金额", "预计金额", "销售金额"),
    "currency": ("currency", "amount_currency", "deal_currency", "currency_code", "currency_id",
                 "opportunity_currency", "currencyisocode", "amount_currency_code",
                 "amount_currencycode", "币种", "货币"),
    "opened_on": ("opened_on", "engage_date", "created", "created_date", "create_date", "created_on",
                  "createdat", "创建日期", "创建时间"),
    "expected_close": ("expected_close", "expected_close_date", "expected_closing", "est_close_date",
                       "estimated_close_date", "预计成交日期", "预计结单日期", "预计签约日期"),
    "closed_on": ("closed_on", "close_date", "closedate", "date_closed", "closed_date", "actual_close_date", "结单日期",
                  "成交日期", "赢单日期"),
    "close_reason": ("close_reason", "closed_lost_reason", "closed_won_reason", "lost_reason", "loss_reason",
                     "输单原因", "赢单原因"),
    "probability": ("probability", "probability_%", "probability_(%)", "deal_probability", "赢率", "成交概率"),
    "owner": ("owner", "owner_name", "sales_agent", "opportunity_owner", "deal_owner", "salesperson", "user_id",
              "account_manager", "point_of_contact", "负责人", "销售", "销售负责人", "所有人"),
    "next_step": ("next_step", "nextstep", "下一步"),
    "competitors": ("competitors", "competitor", "竞争对手"),
    "status": ("status", "state", "状态"),
}

ACCOUNTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "account", "account_name", "company", "company_name", "organization", "organisation",
             "customer", "display_name", "客户", "客户名称", "公司名称", "企业名称"),
    "industry": ("industry", "sector", "行业", "所属行业"),
    "region": ("region", "office_location", "country", "country/region", "state/region", "city", "billing_country",
               "address_country", "地区", "区域", "省份", "城市"),
    "currency": ("currency", "currency_code", "币种"),
    "status": ("status", "状态"),
    "notes": ("notes", "note", "description", "备注"),
    "parent": ("parent", "parent_account", "subsidiary_of", "group", "parent_company", "parent_id",
               "上级客户", "集团", "母公司"),
}

CONTACTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "contact_name", "contact", "姓名", "联系人", "联系人姓名"),
    "email": ("email", "e-mail", "mail", "email_address", "emails_primaryemail", "邮箱", "电子邮件"),
    "job_title": ("title", "job_title", "jobtitle", "position", "function", "职务", "职位"),
    "department": ("department", "dept", "部门"),
    "level": ("level", "层级"),
    "roles": ("role", "roles", "buying_role", "角色"),
    "stance": ("stance", "attitude", "态度"),
    "reports_to": ("reports_to", "manager", "boss", "reports_to_email", "上级", "汇报给"),
    "notes": ("notes", "note", "备注"),
}

PRODUCTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "product", "product_line", "product_name", "产品", "产品线", "产品名称"),
    "code": ("code", "product_code", "sku", "internal_reference", "default_code", "产品编码", "编码"),
}

WON = ("won", "closed won", "closedwon", "win", "customer", "signed", "赢单", "已成交", "成交", "赢得", "签约")
LOST = ("lost", "closed lost", "closedlost", "loss", "lose", "dead", "输单", "丢单", "失败", "已输单")
NO_DECISION = ("no decision", "no_decision", "abandoned", "cancelled", "canceled", "无决策", "取消")
LEAD = ("lead", "new", "prospecting", "prospect", "appointmentscheduled", "appointment scheduled", "线索", "新建")
# open stages in the order each CRM documents them (its own pipeline); the place decides the match
PIPELINES: tuple[tuple[str, ...], ...] = (
    ("new", "screening", "meeting", "proposal"),  # Twenty
    ("prospecting", "qualification", "needs analysis", "value proposition", "id. decision makers",
     "perception analysis", "proposal/price quote", "negotiation/review"),  # Salesforce
    ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
     "contractsent"),  # HubSpot (internal names)
    ("appointment scheduled", "qualified to buy", "presentation scheduled", "decision maker bought-in",
     "contract sent"),  # HubSpot (labels)
    ("new", "qualified", "proposition"),  # Odoo
    ("qualify", "develop", "propose", "close"),  # Dynamics 365
    ("prospecting", "engaging"),  # Maven CRM sample
    ("初步接洽", "需求确定", "方案报价", "谈判审核"),  # 纷享销客 / 销售易
    ("验证客户", "需求分析", "方案制定", "招投标", "商务谈判"),
)


def guess(columns: Iterable[str], table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Our field -> the file's column whose folded name is one of the field's names (the earliest listed
    name wins; a column is given to one field only)."""
    by_folded: dict[str, str] = {}
    for column in columns:
        by_folded.setdefault(norm(column), column)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for ours, names in table.items():
        for name in names:
            column = by_folded.get(norm(name))
            if column is not None and column not in taken:
                out[ours] = column
                taken.add(column)
                break
    return out


def stage_by_meaning(raw: str, open_stages: list[str], lead_stages: list[str]) -> str | None:
    """The stage key (or close status won / lost / no_decision) a CRM's stage name most likely means;
    None when nothing is known about it. `open_stages` are our opportunity stages in order."""
    folded = norm(raw)
    for words, status in ((WON, "won"), (LOST, "lost"), (NO_DECISION, "no_decision")):
        if folded in {norm(w) for w in words}:
            return status
    for pipeline in PIPELINES:
        names = [norm(n) for n in pipeline]
        if folded in names and open_stages:
            place = names.index(folded)
            if names[0] in {norm(w) for w in LEAD} and lead_stages:  # its first stage is our lead stage
                if place == 0:
                    return lead_stages[0]
                place, names = place - 1, names[1:]
            return open_stages[min(len(open_stages) - 1, place * len(open_stages) // len(names))]
    if folded in {norm(w) for w in LEAD}:
        return (lead_stages or open_stages or [None])[0]
    return None


_ISO_4217 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ "
    "GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR "
    "LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN "
    "PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB "
    "TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"
)
CURRENCY_CODES = frozenset(_ISO_4217.split())  # ISO 4217 codes in use (2024): any other is refused naming the row
