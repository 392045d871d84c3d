"""Paired bootstrap of the difference in mean score between two models scored on the
same examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from bot.errors import InputError

Verdict = Literal["better", "worse", "not different beyond noise"]
CHUNK_CELLS = 2_000_000  # resampled indices held at once (16 MB)


class BootstrapResult(BaseModel):
    """tuned − baseline: the observed mean difference and its percentile interval."""

    mean_difference: float
    low: float
    high: float
    confidence: float
    resamples: int
    verdict: Verdict


def bootstrap_difference(
    baseline_scores: Sequence[float],
    tuned_scores: Sequence[float],
    n: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Resample examples (the same indices for both models) `n` times; "better" or
    "worse" only when the whole interval is above or below 0."""
    if len(baseline_scores) != len(tuned_scores):
        raise InputError(f"{len(baseline_scores)} baseline scores and {len(tuned_scores)} "
                         "tuned scores: the bootstrap needs the same examples for both.")
    if not baseline_scores:
        raise InputError("No scores to compare: the held-out set is empty.")
    if n < 1 or not 0 < confidence < 1:
        raise ValueError("n must be positive and confidence inside (0, 1)")
    diff = np.asarray(tuned_scores, dtype=np.float64) - np.asarray(baseline_scores, np.float64)
    rng = np.random.default_rng(seed)
    size = len(diff)
    per_chunk = max(1, CHUNK_CELLS // size)
    means = np.concatenate([
        diff[rng.integers(0, size, size=(min(per_chunk, n - start), size))].mean(axis=1)
        for start in range(0, n, per_chunk)
    ])
    tail = (1 - confidence) / 2 * 100
    low, high = (float(v) for v in np.percentile(means, [tail, 100 - tail]))
    verdict: Verdict = ("better" if low > 0 else "worse" if high < 0
                        else "not different beyond noise")
    return BootstrapResult(mean_difference=float(diff.mean()), low=low, high=high,
                           confidence=confidence, resamples=n, verdict=verdict)
