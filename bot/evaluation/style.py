"""`style_similarity`: for free-text style tasks, how close a reply is to the reference
in meaning (MiniLM embedding cosine), length and layout (bullets, headings, lines).

Per example: 0.6 × cosine (clipped to [0, 1]) + 0.2 × length agreement + 0.2 × format
agreement, where an agreement of two counts is min/max (1 when both are 0) and the
format agreement is the mean over bullets, headings and lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.evaluation.scoring import Evaluation, GroupScore, Score, check_lengths, failure

MEANING_WEIGHT, LENGTH_WEIGHT, FORMAT_WEIGHT = 0.6, 0.2, 0.2
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s+\S", re.M)
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+\S.*|\*\*[^*\n]+\*\*:?)\s*$", re.M)
ASPECTS = ("meaning", "length", "bullets", "headings", "lines")


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length rows, one per text, in order."""
        ...


@dataclass(frozen=True)
class FormatStats:
    words: int
    lines: int  # non-blank
    bullets: int
    headings: int


def format_stats(text: str) -> FormatStats:
    return FormatStats(
        words=len(text.split()),
        lines=sum(1 for line in text.splitlines() if line.strip()),
        bullets=len(_BULLET.findall(text)),
        headings=len(_HEADING.findall(text)),
    )


def agreement(a: int, b: int) -> float:
    """min/max of two counts; 1 when both are 0."""
    return min(a, b) / max(a, b) if max(a, b) else 1.0


def style_score(prediction: str | None, reference: str, cosine: float) -> Score:
    """One example, given the embedding cosine of the prediction and the reference."""
    if prediction is None or not prediction.strip():
        return failure("empty reply")
    got, want = format_stats(prediction), format_stats(reference)
    aspects = {
        "meaning": min(max(cosine, 0.0), 1.0),
        "length": agreement(got.words, want.words),
        "bullets": agreement(got.bullets, want.bullets),
        "headings": agreement(got.headings, want.headings),
        "lines": agreement(got.lines, want.lines),
    }
    layout = (aspects["bullets"] + aspects["headings"] + aspects["lines"]) / 3
    value = (MEANING_WEIGHT * aspects["meaning"] + LENGTH_WEIGHT * aspects["length"]
             + FORMAT_WEIGHT * layout)
    details = {"cosine": cosine, "length_ratio": got.words / max(want.words, 1), **{
        f"{name}_agreement": v for name, v in aspects.items() if name != "meaning"}}
    return Score(value, details)


class StyleSimilarity:
    """Batch-encodes every distinct text once; the model loads on first use."""

    name = "style_similarity"

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            from bot.rag.embeddings import MiniLMEmbedder

            self._encoder = MiniLMEmbedder()
        return self._encoder

    def cosines(self, predictions: Sequence[str | None], references: Sequence[str]) -> list[float]:
        """Cosine of each usable prediction with its reference (0 for unusable ones)."""
        texts = list(dict.fromkeys([*(p for p in predictions if p and p.strip()), *references]))
        if not texts:
            return []
        vectors = self.encoder.encode(texts)
        row = {text: i for i, text in enumerate(texts)}
        return [float(vectors[row[p]] @ vectors[row[r]]) if p and p.strip() else 0.0
                for p, r in zip(predictions, references, strict=True)]

    def evaluate(
        self, predictions: Sequence[str | None], references: Sequence[str]
    ) -> Evaluation:
        check_lengths(predictions, references)
        cosines = self.cosines(predictions, references)
        scores = [style_score(p, r, c)
                  for p, r, c in zip(predictions, references, cosines, strict=True)]
        n = len(scores)
        usable = [s.details for s in scores if not s.failed]
        aspect_values = {
            "meaning": [min(max(d["cosine"], 0.0), 1.0) for d in usable],
            **{a: [d[f"{a}_agreement"] for d in usable] for a in ASPECTS[1:]},
        }
        return Evaluation(
            evaluator=self.name,
            scores=[s.value for s in scores],
            failures=n - len(usable),
            summary={
                "cosine": _mean([d["cosine"] for d in usable]),
                "length_ratio": _mean([d["length_ratio"] for d in usable]),
            },
            breakdown_kind="style",
            breakdown={a: GroupScore(value=sum(v) / n if n else 0.0, support=n)
                       for a, v in aspect_values.items()},
            details=[s.details for s in scores],
        )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
