"""Issue 20 item 13/15 fuzzing: every text field of every entity, with control characters and zero-width
characters. A control character is refused with a message naming the field; a paste's vertical tab or
form feed becomes a line break; zero-width characters around a value are dropped, so a required name made
only of them is refused naming the field. Pure validation (`records.validate`), so every field is reached."""

from __future__ import annotations

import re
import types
from typing import Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import accounts, records
from kamcore.errors import ValidationError

CONTROLS = ["\x00", "\x0b", "\x1f", "\x7f", "\x01", "\x08", "\x1b", "\x0e"]
ZERO_WIDTH = ["\u200b", "\ufeff", "\u200d", "\u200c", "\u2060"]
REFUSED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # \t \n \r \x0b \x0c are text (line breaks, tabs)


def _accepts_text(annotation) -> bool:
    if annotation is str:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_accepts_text(a) for a in get_args(annotation))
    return False


TEXT_FIELDS = sorted((e.name, name) for e in records.all_entities()
                     for name, f in e.model.model_fields.items() if _accepts_text(f.annotation))
# required text a person types (a sign-off's or an entry's *_at time is written by its use case, never typed)
REQUIRED_TEXT = [(e, n) for e, n in TEXT_FIELDS
                 if records.entity(e).model.model_fields[n].is_required() and not n.endswith("_at")]


def problems_for(entity: str, field: str, value: str) -> list:
    """The validation problems about `field` when it holds `value` (other fields' problems ignored)."""
    try:
        records.validate(records.entity(entity), {field: value})
    except ValidationError as exc:
        return [p for p in exc.problems if p.field == field]
    return []


def test_the_sweep_reaches_every_entity_with_text():
    assert len({e for e, _ in TEXT_FIELDS}) >= 40 and len(TEXT_FIELDS) >= 150


@pytest.mark.parametrize(("entity", "field"), TEXT_FIELDS)
def test_control_characters_in_every_text_field_are_refused_naming_the_field(entity, field):
    for char in CONTROLS:
        found = problems_for(entity, field, f"Huaxin{char}tender")
        if char == "\x0b":  # what a paste from Excel brings: a line break, not a refusal
            assert all(p.reason_key != "reason.control_character" for p in found), (entity, field)
            continue
        assert any(p.reason_key == "reason.control_character" for p in found), (entity, field, repr(char))
        message = ValidationError(found).message("en")
        assert "control character" in message.lower() or "控制字符" in ValidationError(found).message("zh")
        assert not message.startswith("field."), message


@pytest.mark.parametrize(("entity", "field"), REQUIRED_TEXT)
def test_a_required_text_made_only_of_zero_width_characters_is_refused_naming_the_field(entity, field):
    for junk in ("".join(ZERO_WIDTH), "\u200b", " \ufeff \u200d "):
        found = problems_for(entity, field, junk)
        assert found, (entity, field, repr(junk))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_mix_of_text_control_and_zero_width_characters(data):
    entity, field = data.draw(st.sampled_from(TEXT_FIELDS))
    text = data.draw(st.text(alphabet=st.sampled_from(["a", "中", " ", "\n", "\t", "\r", "\x0c",
                                                       *CONTROLS, *ZERO_WIDTH]), max_size=12))
    found = problems_for(entity, field, text)
    refused = any(p.reason_key == "reason.control_character" for p in found)
    assert refused == bool(REFUSED.search(text)), (entity, field, repr(text))


def test_a_pasted_vertical_tab_is_stored_as_a_line_break_and_zero_width_edges_dropped(fresh_db, admin):
    row = accounts.create_account(fresh_db, admin, {"name": "\u200bHuaxin\ufeff", "industry": "Semi",
                                                    "region": "East", "notes": "line one\x0bline two"})
    assert row["name"] == "Huaxin"
    assert row["notes"] == "line one\nline two"


def test_a_name_of_only_zero_width_characters_is_refused_and_nothing_written(fresh_db, admin):
    before = fresh_db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    with pytest.raises(ValidationError) as refused:
        accounts.create_account(fresh_db, admin, {"name": "\u200b\u200d\ufeff", "industry": "x", "region": "y"})
    assert refused.value.problems[0].field == "name"
    assert "Name" in refused.value.message("en")
    assert fresh_db.execute("SELECT count(*) FROM accounts").fetchone()[0] == before
