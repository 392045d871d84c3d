"""style_similarity with the real MiniLM embedder: meaning, length and layout."""

from __future__ import annotations

import numpy as np
import pytest

from bot.evaluation.style import StyleSimilarity, format_stats, style_score
from bot.rag.embeddings import MiniLMEmbedder

REFERENCE = ("Thanks for reaching out! Your refund was approved today and should reach "
             "your card within five business days.")
NEAR = ("Thanks for getting in touch! Your refund was approved today and will reach your "
        "card within five business days.")
UNRELATED = "The mitochondria is the powerhouse of the cell; photosynthesis happens in leaves."


@pytest.fixture(scope="module")
def style(embedder: MiniLMEmbedder) -> StyleSimilarity:
    return StyleSimilarity(embedder)


class CountingEncoder:
    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def test_near_identical_text_scores_high_and_unrelated_low(style: StyleSimilarity) -> None:
    result = style.evaluate([NEAR, UNRELATED, REFERENCE], [REFERENCE] * 3)
    near, unrelated, same = result.scores
    assert same == pytest.approx(1.0, abs=1e-5)
    assert near > 0.9
    assert unrelated < 0.6 and unrelated < near - 0.3
    assert result.details[0]["cosine"] > 0.9 > 0.3 > result.details[1]["cosine"]
    assert result.failures == 0


def test_all_texts_are_encoded_in_one_batch(embedder: MiniLMEmbedder) -> None:
    encoder = CountingEncoder(embedder)
    StyleSimilarity(encoder).evaluate([NEAR, NEAR, None], [REFERENCE, REFERENCE, UNRELATED])
    assert len(encoder.calls) == 1
    assert sorted(encoder.calls[0]) == sorted([NEAR, REFERENCE, UNRELATED])  # each once


def test_layout_counts_bullets_headings_and_lines() -> None:
    text = "## Summary\n\n- one\n- two\n1. three\n**Next steps**\nPlain line."
    stats = format_stats(text)
    assert (stats.headings, stats.bullets, stats.lines) == (2, 3, 6)


def test_layout_and_length_lower_the_score_when_meaning_is_equal() -> None:
    reference = "## Plan\n- refund approved\n- arrives in five days"
    flat = style_score("Refund approved, arrives in five days.", reference, cosine=0.95)
    shaped = style_score("## Plan\n- refund approved\n- arrives in 5 days", reference, 0.95)
    assert shaped.value > flat.value
    assert flat.details["bullets_agreement"] == 0.0 and shaped.details["bullets_agreement"] == 1


def test_an_empty_reply_is_a_failure(style: StyleSimilarity) -> None:
    result = style.evaluate(["", REFERENCE], [REFERENCE, REFERENCE])
    assert result.failures == 1 and result.scores[0] == 0.0
    assert set(result.breakdown) == {"meaning", "length", "bullets", "headings", "lines"}
    assert result.breakdown["meaning"].value == pytest.approx(0.5, abs=1e-5)
