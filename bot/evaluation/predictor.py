"""The seam for models that are not behind a chat endpoint (a LoRA adapter on a local
base model): anything with `predict(prompts) -> replies` runs on the held-out set."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from bot.evaluation.examples import HeldOutExample, Message, with_system_prompt
from bot.evaluation.runner import RunFailure, RunResult


class Predictor(Protocol):
    """Generates one reply per prompt (a list of chat messages), in order. A reply the
    model could not produce may be an empty string; it is counted as a failure."""

    def predict(self, prompts: list[list[Message]]) -> list[str]: ...


def run_predictor(
    predictor: Predictor,
    examples: Sequence[HeldOutExample],
    *,
    system_prompt: str | None = None,
) -> RunResult:
    """The predictor's replies as a RunResult (token usage is not reported)."""
    prompts = [with_system_prompt(e.prompt, system_prompt) for e in examples]
    started = time.perf_counter()
    replies = predictor.predict(prompts)
    if len(replies) != len(prompts):
        raise ValueError(f"the predictor returned {len(replies)} replies for {len(prompts)} "
                         "prompts")
    predictions = [r if isinstance(r, str) and r.strip() else None for r in replies]
    return RunResult(
        predictions=predictions,
        failures=[RunFailure(i, "empty reply") for i, p in enumerate(predictions) if p is None],
        wall_s=time.perf_counter() - started,
    )
