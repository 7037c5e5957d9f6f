"""The slip finder the page tests rely on must itself find slips (else every page check passes)."""

from tests.visible_text import slips


def test_finds_keys_codes_record_numbers_and_none():
    found = slips("Stage: opp.close_as\nStatus no_decision\nGoal #41 changed\nOwner: None")
    assert found == ["None", "code 'no_decision'", "key 'opp.close_as'", "record number '#41'"]


def test_leaves_prose_names_and_code_spans_alone():
    assert slips("Li Wei (li.wei) moved CORE-2026-001 to Negotiation · `deals_count`") == []
