"""Paired bootstrap of tuned − baseline."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import InputError
from bot.evaluation.bootstrap import bootstrap_difference

RNG = np.random.default_rng(7)
BASE = (RNG.random(300) < 0.6).astype(float).tolist()


def test_clearly_better() -> None:
    tuned = [1.0 if b or i % 3 == 0 else 0.0 for i, b in enumerate(BASE)]
    result = bootstrap_difference(BASE, tuned, seed=1)
    assert result.verdict == "better"
    assert 0 < result.low <= result.mean_difference <= result.high
    assert result.mean_difference == pytest.approx(np.mean(tuned) - np.mean(BASE))


def test_clearly_worse() -> None:
    tuned = [0.0 if i % 2 else b for i, b in enumerate(BASE)]
    result = bootstrap_difference(BASE, tuned, seed=1)
    assert result.verdict == "worse" and result.high < 0


def test_identical_scores_are_not_different() -> None:
    result = bootstrap_difference(BASE, BASE)
    assert result.verdict == "not different beyond noise"
    assert result.low == result.high == result.mean_difference == 0.0


def test_a_small_noisy_gain_is_not_different_beyond_noise() -> None:
    tuned = list(BASE)
    flipped = [i for i, b in enumerate(BASE) if b == 0][:3]
    for i in flipped:
        tuned[i] = 1.0
    result = bootstrap_difference(BASE, tuned)
    assert result.mean_difference > 0 and result.low <= 0
    assert result.verdict == "not different beyond noise"


def test_seeded_and_chunked() -> None:
    tuned = [1.0 - b for b in BASE]
    assert bootstrap_difference(BASE, tuned, seed=3) == bootstrap_difference(BASE, tuned, seed=3)
    # Chunked resampling draws as many resamples as asked for.
    assert bootstrap_difference(BASE * 40, tuned * 40, n=501).resamples == 501


def test_refuses_unpaired_or_empty_scores() -> None:
    with pytest.raises(InputError, match="same examples"):
        bootstrap_difference([1.0], [1.0, 0.0])
    with pytest.raises(InputError, match="empty"):
        bootstrap_difference([], [])
