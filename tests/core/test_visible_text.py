"""The slip finder the page tests rely on must itself find slips (else every page check passes)."""

from tests.visible_text import slips


def test_finds_keys_codes_record_numbers_and_none():
    found = slips("Stage: opp.close_as\nStatus no_decision\nGoal #41 changed\nOwner: None")
    assert found == ["None", "code 'no_decision'", "key 'opp.close_as'", "record number '#41'"]


def test_finds_amounts_without_their_currency_and_stored_unit_words():
    found = slips("Cumulative revenue 135,000.0\nPotential 7500 / 36000\nWon value: 10,005,534\n"
                  "Revenue: Target 62,500 → 65,620\nAmount (thousands)\n金额（千）\nrevenue in k CNY")
    assert [f for f in found if f.startswith("amount")] == [
        "amount without currency 'Cumulative revenue 135,000.0'", "amount without currency 'Potential 7500 / 36000'",
        "amount without currency 'Revenue: Target 62,500 → 65,620'", "amount without currency 'Won value: 10,005,534'"]
    assert [f for f in found if f.startswith("stored")] == [
        "stored unit 'k CNY'", "stored unit 'thousands'", "stored unit '（千）'"]


def test_leaves_amounts_with_their_currency_and_other_numbers_alone():
    assert slips("Won value: CNY 10.01 M\nBudget planned (CNY): 20000\nRevenue 2026: 2.00 万元\n"
                 "Pipeline: 12 open deals since 2026-11-28 · CORE-2026-001\nRevenue: Target CNY 62.50 M → CNY 65.62 M"
                 "\n8800 rows are valid") == []


def test_leaves_prose_names_and_code_spans_alone():
    assert slips("Li Wei (li.wei) moved CORE-2026-001 to Negotiation · `deals_count`") == []


def test_finds_iso_timestamps_bare_numbers_after_an_arrow_and_unnamed_references():
    found = slips("Reviewed: → 2026-11-28T09:30:00+00:00\nReviewed by: — → 2, by Li Wei, Tue\nAction: — → another record\n"
                  "行动：— → 另一条记录")
    assert found == ["ISO timestamp '2026-11-28T09:30'", "number after arrow 'Reviewed by: — → 2'",
                     "unnamed reference 'another record'", "unnamed reference '另一条记录'"]


def test_leaves_shown_times_amounts_and_named_moves_alone():
    assert slips("Reviewed: — → 2026-11-28 17:30 · 11月28日 17:30\nScore: 1 → 2 ▲\nStage: Proposal → Negotiation\n"
                 "Reviewed by: — → Chen Jie\nTarget: 62,500 → 65,620 (+5%)") == []
