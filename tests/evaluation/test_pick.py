"""pick_evaluator: the evaluator follows the shape of the references."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.evaluation.json_fields import JsonFields
from bot.evaluation.pick import pick_evaluator

LABELS = ["Billing", "refund", "billing.", "Other", "REFUND", "billing", "other", "refund"]
JSON = ['{"category": "billing", "priority": 2}', '{"category": "outage", "priority": 1}']
PROSE = [
    "Thanks for your patience — I've reset the password and sent a link to your email.",
    "We're sorry about the delay. The replacement ships tomorrow by express courier.",
    "Here is how to export the report: open Settings, choose Data, then Export to CSV.",
]


@pytest.mark.parametrize(
    ("references", "name"),
    [(LABELS, "exact_match"), (JSON, "json_fields"), (PROSE, "style_similarity")],
)
def test_picks_from_the_shape(references: list[str], name: str) -> None:
    assert pick_evaluator(references).name == name


def test_short_but_all_different_replies_are_not_labels() -> None:
    replies = [f"Answer number {i}" for i in range(10)]
    assert pick_evaluator(replies).name == "style_similarity"


def test_a_json_array_is_not_a_json_task() -> None:
    assert pick_evaluator(["[1]", "[2]", "[1]", "[2]"]).name == "exact_match"


def test_named_explicitly() -> None:
    assert pick_evaluator(JSON, "exact_match").name == "exact_match"
    chosen = pick_evaluator(JSON, schema={"properties": {"category": {"type": "string"}}})
    assert isinstance(chosen, JsonFields) and chosen.schema is not None
    assert set(chosen.schema.fields) == {"category"}


def test_unknown_name_and_misplaced_schema_are_refused() -> None:
    with pytest.raises(InputError, match="Choose one of"):
        pick_evaluator(LABELS, "bleu")
    with pytest.raises(InputError, match="only applies to json_fields"):
        pick_evaluator(LABELS, "exact_match", schema={"type": "object"})
