"""The slip finder the page tests rely on must itself find slips (else every page check passes)."""

from tests.visible_text import slips


def test_finds_keys_codes_record_numbers_and_none():
    found = slips("Stage: opp.close_as\nStatus no_decision\nGoal #41 changed\nOwner: None")
    assert found == ["None", "code 'no_decision'", "key 'opp.close_as'", "record number '#41'"]


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
