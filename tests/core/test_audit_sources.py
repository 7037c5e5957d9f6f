"""An agenda item's or action's `source` ("huddle_remark:12", "rule:3@opportunity:41") is an internal
reference: every audit reader shows the records it names, never the code."""

from kamcore import audit


def test_a_source_reads_as_the_records_it_names(demo_db):
    opp_id, opp_name = demo_db.execute("SELECT id, name FROM opportunities ORDER BY id LIMIT 1").fetchone()
    rule_id, rule_name = demo_db.execute("SELECT id, name FROM rules ORDER BY id LIMIT 1").fetchone()
    rows = [{"entity": "huddle_item", "entity_id": 1, "field": "source", "old_value": None,
             "new_value": f"rule:{rule_id}@opportunity:{opp_id}"},
            {"entity": "huddle_item", "entity_id": 1, "field": "text", "old_value": None, "new_value": "plain:1"}]
    shown = audit.named(demo_db, rows, "en")
    assert rule_name in shown[0]["new_value"] and opp_name in shown[0]["new_value"]
    assert f"rule:{rule_id}" not in shown[0]["new_value"] and f"opportunity:{opp_id}" not in shown[0]["new_value"]
    assert shown[1]["new_value"] == "plain:1", "only the source field is read as a reference"
