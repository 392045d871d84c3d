"""What every scorer returns: a per-example `Score`, and an `Evaluation` of a whole
prediction list with its per-class / per-field breakdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel

BreakdownKind = Literal["class", "field", "style"]


@dataclass(frozen=True)
class Score:
    """One example: `value` in [0, 1]; `failed` when the prediction was unusable
    (missing, empty, not JSON for a JSON task), which also scores 0."""

    value: float
    details: dict[str, Any] = field(default_factory=dict)
    failed: bool = False


def failure(reason: str) -> Score:
    return Score(0.0, {"failure": reason}, failed=True)


class GroupScore(BaseModel):
    """One class, field or style aspect: `value` in [0, 1] over `support` examples,
    with secondary metrics (precision, presence rate, ...)."""

    value: float
    support: int
    metrics: dict[str, float] = {}


class Evaluation(BaseModel):
    """A prediction list scored against its references."""

    evaluator: str
    scores: list[float]
    failures: int  # predictions that could not be scored (counted in `scores` as 0)
    summary: dict[str, float]  # headline metrics besides the mean score
    breakdown_kind: BreakdownKind
    breakdown: dict[str, GroupScore]
    details: list[dict[str, Any]]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


class Evaluator(Protocol):
    """Scores a list of predictions (None: the model gave no usable reply)."""

    name: str

    def evaluate(
        self, predictions: Sequence[str | None], references: Sequence[str]
    ) -> Evaluation: ...


def check_lengths(predictions: Sequence[object], references: Sequence[object]) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions for {len(references)} references; they must pair up"
        )


def rate(count: int, total: int) -> float:
    return count / total if total else 0.0
