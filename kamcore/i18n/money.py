"""Texts of money: currency and unit, the reporting currency, exchange rates, measured goal actuals."""

TEXTS = {
    "entity.money_settings": ("reporting currency", "报告币种"),
    "entity.exchange_rate": ("exchange rate", "汇率"),
    "field.reporting_currency": ("Reporting currency", "报告币种"),
    "field.to_currency": ("Into currency", "折算为"),
    "field.rate": ("Rate", "汇率"),
    "field.actual_reason": ("Override reason", "手工覆盖原因"),
    "field.actual_source": ("Actual from", "实际值来源"),
    "actual_source.won_deals": ("won deals", "已赢单机会点"),
    "actual_source.financials": ("account financials", "客户财务数据"),
    "actual_source.override": ("typed over the measured figure", "手工覆盖测算值"),
    "actual_source.typed": ("typed", "手工填写"),
    "money.typed_by": ("typed by {who} on {when}", "{who} 于 {when} 手工填写"),
    "money.goal_unit": ("Orders, revenue, gross margin and collections in {unit}; orders, revenue and gross margin "
                        "actuals are measured from the won deals and the account's financials.",
                        "订单、收入、毛利和回款单位：{unit}；订单、收入和毛利的实际值由已赢单机会点和客户财务数据计算。"),
    "money.weighted_line": ("**{count} open deal(s), weighted pipeline {amounts}** (probability-weighted: each deal's "
                            "own probability, else its stage's)", "**{count} 个在途机会点，加权管线 {amounts}**（按各机会点赢率加权，"
                                                                    "未填写时取阶段默认赢率）"),
    "money.amounts_in": ("amounts in {currency}", "金额币种：{currency}"),
    "money.revenue_year": ("Revenue {year}", "{year} 年收入"),
    "money.pipe_amounts": ("{amount} open · {weighted} weighted", "未结 {amount} · 加权 {weighted}"),
    "money.converted_at": ("(converted into {currency} at the {year} rates: {rates})",
                           "（按 {year} 年汇率折算为 {currency}：{rates}）"),
    "money.plus_unconverted": ("+ {amounts} not converted: no {year} rate",
                               "+ {amounts} 未折算：缺少 {year} 年汇率"),
    "money.total_revenue": ("Portfolio revenue {year}", "{year} 年组合总收入"),
    "money.total_pipeline": ("Weighted pipeline, all accounts", "全部客户加权管线"),
    "money.own_currency": ("In the account's currency", "客户本币"),
    "money.in_reporting": ("In {currency}", "折合 {currency}"),
    "money.no_rate": ("no {year} rate for {currency}", "缺少 {currency} 的 {year} 年汇率"),
    "money.rates": ("Exchange rates", "汇率"),
    "money.rates_hint": ("One rate per currency and year: how many {currency} one unit of the currency is worth. "
                         "Totals across accounts convert at the year's rate; an amount with no rate is shown "
                         "unconverted.", "每个币种每年一个汇率：1 单位该币种折合多少 {currency}。跨客户合计按当年汇率折算；"
                                        "没有汇率的金额按原币显示。"),
    "money.missing_rates": ("No {year} rate for: {currencies} — their amounts stay unconverted.",
                            "缺少 {year} 年汇率：{currencies}——相关金额不折算。"),
    "money.rate_saved": ("Rate saved.", "汇率已保存。"),
    "money.rates_imported": ("{count} rates imported.", "已导入 {count} 条汇率。"),
    "money.import_rates": ("Import rates (CSV: currency, year, rate)", "导入汇率（CSV：currency, year, rate）"),
    "money.save_rate": ("Save rate", "保存汇率"),
    "money.save_reporting": ("Save reporting currency", "保存报告币种"),
    "money.reporting_saved": ("Reporting currency saved.", "报告币种已保存。"),
    "money.stored_note": ("Amounts are kept in whole units of each account's currency and shown with currency "
                          "and unit.", "金额按各客户本币的元（整单位）存储，显示时带币种和单位。"),
    "reason.amount_unreadable": ("“{value}” is not an amount: write it like {example}",
                                 "“{value}”不是金额：请写成 {example} 的样子"),
    "reason.amount_zh_unit_in_en": ("“{value}”: 万 / 亿 / 千 are read only in the Chinese interface; write the full "
                                    "amount like {example}", "“{value}”：英文界面不识别 万 / 亿 / 千；请写完整金额，如 {example}"),
    "reason.amount_negative": ("cannot be negative (write it like {example})", "不能为负数（请写成 {example} 的样子）"),
    "reason.actual_measured.won_deals": (
        "is measured from the won deals — leave it empty, or give an override reason",
        "由已赢单机会点自动计算——请留空，或填写手工覆盖原因"),
    "reason.actual_measured.financials": (
        "is measured from the account's financials for the year — leave it empty, or give an override reason",
        "由该客户当年财务数据自动计算——请留空，或填写手工覆盖原因"),
    "reason.duplicate_rate": ("the same currency and year are already on line {other}",
                              "同一币种和年份已在第 {other} 行出现"),
}
