"""exact_match: normalised label comparison and the per-class breakdown."""

from __future__ import annotations

import pytest

from bot.evaluation.labels import ExactMatch, exact_match, normalise_label


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ('  "Billing."  ', "billing"),
        ("«TECHNICAL   support»", "technical support"),
        ("'Refund'!", "refund"),
        ("C++", "c++"),
        ("Label:\n other", "label: other"),
    ],
)
def test_normalise_label(raw: str, label: str) -> None:
    assert normalise_label(raw) == label


def test_odd_casing_and_quotes_still_match() -> None:
    assert exact_match('"BILLING"', "billing").value == 1.0
    assert exact_match("Billing.", "  billing ").value == 1.0
    assert exact_match("refund", "billing").value == 0.0


def test_an_empty_reply_is_a_failure_scored_zero() -> None:
    for reply in (None, "", "  \n"):
        score = exact_match(reply, "billing")
        assert score.failed and score.value == 0.0


def test_breakdown_gives_recall_and_precision_per_reference_label() -> None:
    references = ["billing", "billing", "billing", "refund", "refund", "other"]
    predictions = ["Billing", "refund", "billing.", "refund", "REFUND", None]
    result = ExactMatch().evaluate(predictions, references)
    assert result.scores == [1, 0, 1, 1, 1, 0]
    assert result.failures == 1
    assert result.summary["accuracy"] == pytest.approx(4 / 6)
    assert list(result.breakdown) == ["billing", "refund", "other"]  # by support
    billing, refund, other = result.breakdown.values()
    assert (billing.support, billing.value, billing.metrics["precision"]) == (3, 2 / 3, 1.0)
    assert refund.value == 1.0 and refund.metrics["precision"] == pytest.approx(2 / 3)
    assert other.value == 0.0 and other.metrics["precision"] == 0.0
    assert result.summary["macro_recall"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_a_label_outside_the_reference_set_is_counted() -> None:
    result = ExactMatch().evaluate(["spam", "billing"], ["billing", "billing"])
    assert result.summary["unknown_label_rate"] == 0.5


def test_lengths_must_pair_up() -> None:
    with pytest.raises(ValueError, match="pair up"):
        ExactMatch().evaluate(["a"], ["a", "b"])
