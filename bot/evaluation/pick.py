"""Choosing the evaluator from the shape of the references, or by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.errors import InputError
from bot.evaluation.json_fields import JsonFields, parse_object, schema_from_json_schema
from bot.evaluation.labels import ExactMatch, normalise_label
from bot.evaluation.scoring import Evaluator
from bot.evaluation.style import Encoder, StyleSimilarity

EVALUATORS = ("exact_match", "json_fields", "style_similarity")
LABEL_MAX_WORDS = 6
LABEL_MAX_CHARS = 64
MAX_CLASSES = 100


def looks_like_labels(references: Sequence[str]) -> bool:
    """Short replies (≤ 6 words, ≤ 64 characters) with few distinct values: at most
    100, and at most half the examples (each label recurs, on average)."""
    labels = [normalise_label(r) for r in references]
    if not labels or any(
        not label or len(label) > LABEL_MAX_CHARS or len(label.split()) > LABEL_MAX_WORDS
        for label in labels
    ):
        return False
    distinct = len(set(labels))
    return distinct <= min(MAX_CLASSES, max(2, len(labels) // 2))


def pick_evaluator(
    references: Sequence[str],
    name: str | None = None,
    *,
    schema: Mapping[str, Any] | None = None,
    encoder: Encoder | None = None,
) -> Evaluator:
    """`name` when given; else json_fields when every reference is a JSON object,
    exact_match when they look like labels, style_similarity otherwise. `schema` (a
    JSON Schema subset) replaces the schema json_fields infers."""
    if name is None:
        if references and all(parse_object(r) is not None for r in references):
            name = "json_fields"
        elif looks_like_labels(references):
            name = "exact_match"
        else:
            name = "style_similarity"
    if name == "json_fields":
        return JsonFields(schema_from_json_schema(schema) if schema is not None else None)
    if schema is not None:
        raise InputError(f"A schema only applies to json_fields, not to {name}.")
    if name == "exact_match":
        return ExactMatch()
    if name == "style_similarity":
        return StyleSimilarity(encoder)
    raise InputError(f"Unknown evaluator '{name}'. Choose one of: {', '.join(EVALUATORS)}.")
