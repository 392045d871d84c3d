"""`exact_match`: classification labels compared after normalisation, with precision
and recall per reference label."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from bot.evaluation.scoring import Evaluation, GroupScore, Score, check_lengths, failure, rate

_SPACE = re.compile(r"\s+")


def _is_edge(char: str) -> bool:
    """Quotes, brackets and punctuation (Unicode P*), and whitespace; symbols such as
    + or $ are part of a label ("C++")."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def normalise_label(text: str) -> str:
    """Casefolded, whitespace collapsed, surrounding quotes/punctuation stripped:
    ' "Billing." ' → 'billing'."""
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return _SPACE.sub(" ", text[start:end]).casefold()


def exact_match(prediction: str | None, reference: str) -> Score:
    """1 when the normalised labels are equal, else 0."""
    if prediction is None or not prediction.strip():
        return failure("empty reply")
    predicted, expected = normalise_label(prediction), normalise_label(reference)
    return Score(float(predicted == expected), {"predicted": predicted, "expected": expected})


class ExactMatch:
    """Accuracy over labels; the breakdown gives each reference label's recall (its
    accuracy) as the value, with its precision."""

    name = "exact_match"

    def evaluate(
        self, predictions: Sequence[str | None], references: Sequence[str]
    ) -> Evaluation:
        check_lengths(predictions, references)
        scores = [exact_match(p, r) for p, r in zip(predictions, references, strict=True)]
        expected = [normalise_label(r) for r in references]
        predicted = [s.details.get("predicted") for s in scores]
        support = Counter(expected)
        predicted_count = Counter(p for p in predicted if p is not None)
        correct = Counter(e for e, s in zip(expected, scores, strict=True) if s.value == 1.0)
        breakdown = {
            label: GroupScore(
                value=rate(correct[label], n),
                support=n,
                metrics={"precision": rate(correct[label], predicted_count[label]),
                         "recall": rate(correct[label], n)},
            )
            for label, n in sorted(support.items(), key=lambda item: (-item[1], item[0]))
        }
        unknown = sum(1 for p in predicted if p is not None and p not in support)
        recalls = [group.value for group in breakdown.values()]
        return Evaluation(
            evaluator=self.name,
            scores=[s.value for s in scores],
            failures=sum(s.failed for s in scores),
            summary={"accuracy": rate(sum(correct.values()), len(scores)),
                     "macro_recall": sum(recalls) / len(recalls) if recalls else 0.0,
                     "unknown_label_rate": rate(unknown, len(scores))},
            breakdown_kind="class",
            breakdown=breakdown,
            details=[s.details for s in scores],
        )
