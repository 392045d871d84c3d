"""`compare`: score both models' predictions with one evaluator, bootstrap the
difference, and pick the examples where tuning helped and hurt most."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.checklist.result import CitationRef
from bot.evaluation.bootstrap import bootstrap_difference
from bot.evaluation.comparison import (
    NOT_BETTER_CITATIONS,
    Comparison,
    ExampleContrast,
    ModelScore,
)
from bot.evaluation.examples import Message, text_of
from bot.evaluation.scoring import Evaluation, Evaluator

CONTRASTS = 3  # examples shown where tuning helped most, and hurt most
EXCERPT_CHARS = 160
_SPACE = re.compile(r"\s+")


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """One line of at most `limit` characters; "(no reply)" for a missing one."""
    if text is None or not text.strip():
        return "(no reply)"
    line = _SPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def prompt_excerpt(prompt: Sequence[Message]) -> str:
    """The last user message (what the model was asked), else the last message."""
    users = [m for m in prompt if m.get("role") == "user"] or list(prompt)
    return excerpt(text_of(users[-1].get("content")) if users else None)


def compare(
    baseline_preds: Sequence[str | None],
    tuned_preds: Sequence[str | None],
    references: Sequence[str],
    evaluator: Evaluator,
    *,
    prompts: Sequence[Sequence[Message]] | None = None,
    baseline_name: str = "baseline",
    tuned_name: str = "tuned",
    resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Both prediction lists scored against `references` (None: no usable reply);
    `prompts`, when given, are quoted in the contrasting examples."""
    if prompts is not None and len(prompts) != len(references):
        raise ValueError(f"{len(prompts)} prompts for {len(references)} references")
    base = evaluator.evaluate(baseline_preds, references)
    tuned = evaluator.evaluate(tuned_preds, references)
    difference = bootstrap_difference(base.scores, tuned.scores, n=resamples, seed=seed)
    gains = [(t - b, i) for i, (b, t) in enumerate(zip(base.scores, tuned.scores, strict=True))]

    def contrast(i: int) -> ExampleContrast:
        return ExampleContrast(
            index=i,
            prompt=prompt_excerpt(prompts[i]) if prompts is not None else "",
            reference=excerpt(references[i]),
            baseline=excerpt(baseline_preds[i]),
            tuned=excerpt(tuned_preds[i]),
            baseline_score=base.scores[i],
            tuned_score=tuned.scores[i],
        )

    helped = sorted((g for g in gains if g[0] > 0), key=lambda g: (-g[0], g[1]))[:CONTRASTS]
    hurt = sorted((g for g in gains if g[0] < 0), key=lambda g: (g[0], g[1]))[:CONTRASTS]
    return Comparison(
        evaluator=evaluator.name,
        examples=len(references),
        breakdown_kind=base.breakdown_kind,
        baseline=_model_score(baseline_name, base),
        tuned=_model_score(tuned_name, tuned),
        difference=difference,
        helped=[contrast(i) for _, i in helped],
        hurt=[contrast(i) for _, i in hurt],
        citations=[] if difference.verdict == "better"
        else [CitationRef.of(c) for c in NOT_BETTER_CITATIONS],
    )


def _model_score(name: str, evaluation: Evaluation) -> ModelScore:
    return ModelScore(name=name, score=evaluation.mean, failures=evaluation.failures,
                      summary=evaluation.summary, breakdown=evaluation.breakdown)
