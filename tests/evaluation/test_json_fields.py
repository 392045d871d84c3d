"""json_fields: validity, schema conformance (inferred or given) and field accuracy."""

from __future__ import annotations

import json

import pytest

from bot.errors import InputError
from bot.evaluation.json_fields import (
    FieldSpec,
    JsonFields,
    infer_schema,
    json_fields,
    schema_from_json_schema,
)

REFERENCES = [
    json.dumps({"category": "billing", "priority": 2, "refund": True}),
    json.dumps({"category": "outage", "priority": 1, "refund": False, "region": "EU"}),
    json.dumps({"category": "billing", "priority": 3, "refund": False}),
]
SCHEMA = infer_schema([json.loads(r) for r in REFERENCES])


def test_schema_is_inferred_from_the_references() -> None:
    assert SCHEMA.fields["priority"] == FieldSpec(frozenset({"integer"}), required=True)
    assert SCHEMA.fields["region"] == FieldSpec(frozenset({"string"}), required=False)
    assert not SCHEMA.additional


def test_integers_widen_to_number() -> None:
    schema = infer_schema([{"x": 1}, {"x": 1.5}])
    assert schema.fields["x"].types == {"number"}


def test_a_perfect_reply_scores_one_despite_spacing_and_case() -> None:
    reply = '{"refund": true, "priority": 2.0, "category": "  Billing "}'
    score = json_fields(reply, REFERENCES[0], SCHEMA)
    assert score.value == 1.0 and score.details["schema_valid"]


def test_a_missing_field() -> None:
    score = json_fields('{"category": "billing", "priority": 2}', REFERENCES[0], SCHEMA)
    assert score.value == pytest.approx(2 / 3)
    assert score.details["missing"] == ["refund"] and not score.details["schema_valid"]
    assert not score.failed


def test_a_wrong_type() -> None:
    reply = '{"category": "billing", "priority": "2", "refund": true}'
    score = json_fields(reply, REFERENCES[0], SCHEMA)
    assert score.details["wrong_type"] == ["priority"]
    assert score.details["wrong_value"] == ["priority"]
    assert score.value == pytest.approx(2 / 3)


def test_an_unexpected_key_breaks_the_schema_not_the_fields() -> None:
    reply = '{"category": "billing", "priority": 2, "refund": true, "mood": "angry"}'
    score = json_fields(reply, REFERENCES[0], SCHEMA)
    assert score.value == 1.0 and score.details["unexpected"] == ["mood"]
    assert not score.details["schema_valid"]


@pytest.mark.parametrize("reply", ["", "Sure! Here it is: {", '```json\n{"a": 1}\n```', "[1, 2]",
                                   None])
def test_invalid_json_is_a_failure_scored_zero(reply: str | None) -> None:
    score = json_fields(reply, REFERENCES[0], SCHEMA)
    assert score.failed and score.value == 0.0


def test_a_given_json_schema_with_an_enum() -> None:
    schema = schema_from_json_schema({
        "type": "object",
        "properties": {"category": {"type": "string", "enum": ["billing", "outage"]},
                       "priority": {"type": ["integer", "null"]}},
        "required": ["category"],
        "additionalProperties": False,
    })
    ok = json_fields('{"category": "outage", "priority": null}', REFERENCES[1], schema)
    assert ok.details["schema_valid"]
    bad = json_fields('{"category": "spam", "priority": 1, "x": 1}', REFERENCES[1], schema)
    assert bad.details["wrong_type"] == ["category"] and bad.details["unexpected"] == ["x"]


def test_an_unsupported_schema_is_refused() -> None:
    with pytest.raises(InputError):
        schema_from_json_schema({"type": "array"})
    with pytest.raises(InputError, match="Unknown JSON type"):
        schema_from_json_schema({"properties": {"a": {"type": "date"}}})


def test_evaluation_breaks_down_per_field() -> None:
    predictions = [
        '{"category": "billing", "priority": 2, "refund": true}',
        '{"category": "outage", "priority": "1", "refund": false}',  # wrong type, no region
        "not json at all",
    ]
    result = JsonFields().evaluate(predictions, REFERENCES)
    assert result.failures == 1
    assert result.scores == pytest.approx([1.0, 2 / 4, 0.0])
    assert result.summary["valid_json"] == pytest.approx(2 / 3)
    assert result.summary["schema_valid"] == pytest.approx(1 / 3)
    assert result.summary["field_accuracy"] == pytest.approx(5 / 10)
    fields = result.breakdown
    assert list(fields) == ["category", "priority", "refund", "region"]
    assert fields["category"].value == pytest.approx(2 / 3)
    assert fields["priority"].value == pytest.approx(1 / 3)
    assert fields["priority"].metrics == {"present": pytest.approx(2 / 3), "type_ok": 0.5}
    assert (fields["region"].support, fields["region"].value) == (1, 0.0)
    assert fields["region"].metrics["present"] == 0.0


def test_references_must_all_be_objects() -> None:
    with pytest.raises(InputError, match="reference 2"):
        JsonFields().evaluate(["{}", "{}"], ['{"a": 1}', "plain text"])
