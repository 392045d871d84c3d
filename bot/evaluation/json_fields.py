"""`json_fields`: JSON validity, schema conformance and field-level accuracy.

The schema is inferred from the references (every key seen, the value types seen,
required = present in every reference, no other keys) or given as a JSON Schema
subset: an object with `properties` (each with `type`, a name or a list, and optional
`enum`), `required` and `additionalProperties`. Strings compare after whitespace and
case normalisation, numbers by value (1 == 1.0); a reply is parsed strictly (a
Markdown code fence around the JSON makes it invalid, as it would for `json.loads`)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from bot.errors import InputError
from bot.evaluation.scoring import Evaluation, GroupScore, Score, check_lengths, failure, rate

JSON_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FieldSpec:
    types: frozenset[str]  # empty: any type
    required: bool
    enum: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ObjectSchema:
    fields: Mapping[str, FieldSpec]
    additional: bool  # keys outside `fields` allowed


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def parse_object(text: str) -> dict[str, Any] | None:
    """The JSON object in `text`, or None when it is not one."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def infer_schema(references: Sequence[Mapping[str, Any]]) -> ObjectSchema:
    """Keys and value types of the reference objects; integers widen to number when
    both occur."""
    keys = list(dict.fromkeys(key for ref in references for key in ref))
    fields: dict[str, FieldSpec] = {}
    for key in keys:
        types = {json_type(ref[key]) for ref in references if key in ref}
        if "number" in types:
            types.discard("integer")
        fields[key] = FieldSpec(frozenset(types), all(key in ref for ref in references))
    return ObjectSchema(fields, additional=False)


def schema_from_json_schema(schema: Mapping[str, Any]) -> ObjectSchema:
    """The supported subset of a JSON Schema; raises InputError outside it."""
    if schema.get("type", "object") != "object" or not isinstance(
        schema.get("properties", {}), dict
    ):
        raise InputError('The JSON schema must describe an object ("type": "object", '
                         '"properties": {...}).')
    required = set(schema.get("required", []))
    fields: dict[str, FieldSpec] = {}
    for key, spec in schema.get("properties", {}).items():
        declared = spec.get("type", [])
        types = frozenset([declared] if isinstance(declared, str) else declared)
        if not types <= JSON_TYPES:
            raise InputError(f"Unknown JSON type in the schema of '{key}': {sorted(types)}.")
        enum = spec.get("enum")
        fields[key] = FieldSpec(types, key in required, tuple(enum) if enum else None)
    return ObjectSchema(fields, additional=bool(schema.get("additionalProperties", True)))


def conforms(value: object, spec: FieldSpec) -> bool:
    """Of an allowed type (an integer is a number; 2.0 is an integer, as in JSON Schema)
    and in the enum, if there is one."""
    kind = json_type(value)
    typed = (not spec.types or kind in spec.types
             or (kind == "integer" and "number" in spec.types)
             or (isinstance(value, float) and value.is_integer() and "integer" in spec.types))
    return typed and (spec.enum is None or any(same_value(value, e) for e in spec.enum))


def same_value(a: object, b: object) -> bool:
    """Equal as JSON values: strings up to case and whitespace, numbers by value."""
    if isinstance(a, str) and isinstance(b, str):
        return _SPACE.sub(" ", a.strip()).casefold() == _SPACE.sub(" ", b.strip()).casefold()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return a == b


def json_fields(prediction: str | None, reference: str, schema: ObjectSchema) -> Score:
    """The share of the reference's fields the prediction got right; details name the
    missing, mistyped, unexpected and wrong fields and whether the schema holds."""
    if prediction is None or not prediction.strip():
        return failure("empty reply")
    predicted = parse_object(prediction)
    if predicted is None:
        return failure("not a JSON object")
    expected = parse_object(reference)
    if expected is None:
        raise InputError(f"The reference is not a JSON object: {reference[:80]!r}.")
    missing = [k for k, spec in schema.fields.items() if spec.required and k not in predicted]
    wrong_type = [k for k, spec in schema.fields.items()
                  if k in predicted and not conforms(predicted[k], spec)]
    unexpected = [] if schema.additional else [k for k in predicted if k not in schema.fields]
    correct = [k for k in expected if k in predicted and same_value(predicted[k], expected[k])]
    details = {
        "schema_valid": not (missing or wrong_type or unexpected),
        "missing": missing,
        "wrong_type": wrong_type,
        "unexpected": unexpected,
        "wrong_value": [k for k in expected if k in predicted and k not in correct],
        "correct": correct,
    }
    value = rate(len(correct), len(expected)) if expected else float(not predicted)
    return Score(value, details)


class JsonFields:
    """Field accuracy per example; the breakdown gives each schema field's accuracy
    over the references that have it, with presence and type-conformance rates."""

    name = "json_fields"

    def __init__(self, schema: ObjectSchema | None = None) -> None:
        self.schema = schema

    def evaluate(
        self, predictions: Sequence[str | None], references: Sequence[str]
    ) -> Evaluation:
        check_lengths(predictions, references)
        parsed = [parse_object(r) for r in references]
        bad = next((i for i, ref in enumerate(parsed) if ref is None), None)
        if bad is not None:
            raise InputError(f"json_fields needs every reference to be a JSON object; "
                             f"reference {bad + 1} is not: {references[bad][:80]!r}.")
        expected = [ref for ref in parsed if ref is not None]
        schema = self.schema or infer_schema(expected)
        scores = [json_fields(p, r, schema) for p, r in zip(predictions, references, strict=True)]
        n = len(scores)
        breakdown: dict[str, GroupScore] = {}
        for key in dict.fromkeys([*schema.fields, *(k for ref in expected for k in ref)]):
            having = [s.details for s, ref in zip(scores, expected, strict=True) if key in ref]
            if not having:
                continue
            right = [d for d in having if key in d.get("correct", ())]
            present = right + [d for d in having if key in d.get("wrong_value", ())]
            breakdown[key] = GroupScore(
                value=rate(len(right), len(having)),
                support=len(having),
                metrics={"present": rate(len(present), len(having)),
                         "type_ok": rate(sum(key not in d["wrong_type"] for d in present),
                                         len(present))},
            )
        fields_total = sum(len(ref) for ref in expected)
        return Evaluation(
            evaluator=self.name,
            scores=[s.value for s in scores],
            failures=sum(s.failed for s in scores),
            summary={
                "valid_json": rate(sum(not s.failed for s in scores), n),
                "schema_valid": rate(sum(bool(s.details.get("schema_valid")) for s in scores), n),
                "field_accuracy": rate(sum(len(s.details.get("correct", ())) for s in scores),
                                       fields_total),
            },
            breakdown_kind="field",
            breakdown=breakdown,
            details=[s.details for s in scores],
        )
