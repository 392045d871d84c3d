"""The result of comparing a fine-tuned model with the prompted baseline on the same
held-out examples: JSON-serialisable, rendered as plain text or Slack mrkdwn."""

from __future__ import annotations

from pydantic import BaseModel

from bot.advice import framework as fw
from bot.checklist.result import CitationRef
from bot.evaluation import render
from bot.evaluation.bootstrap import BootstrapResult, Verdict
from bot.evaluation.scoring import BreakdownKind, GroupScore

NOT_BETTER_ADVICE = (
    "Fine-tuning did not beat the prompted baseline on the held-out set; the guidance says "
    "to fine-tune only once prompting is exhausted — keep the prompt, or improve the data."
)
NOT_BETTER_CITATIONS = (fw.HELD_OUT.citation, fw.PROMPT_FIRST.citation)


class ModelScore(BaseModel):
    name: str
    score: float  # mean per-example score, in [0, 1]
    failures: int  # replies that could not be scored (empty, malformed, invalid JSON)
    summary: dict[str, float]
    breakdown: dict[str, GroupScore]


class ExampleContrast(BaseModel):
    """One held-out example where the two models differ; texts are truncated."""

    index: int  # position in the held-out set, from 0
    prompt: str
    reference: str
    baseline: str
    tuned: str
    baseline_score: float
    tuned_score: float


class BreakdownRow(BaseModel):
    group: str
    support: int
    baseline: float
    tuned: float


class Comparison(BaseModel):
    evaluator: str
    examples: int
    breakdown_kind: BreakdownKind
    baseline: ModelScore
    tuned: ModelScore
    difference: BootstrapResult  # tuned − baseline
    helped: list[ExampleContrast]  # largest gains first
    hurt: list[ExampleContrast]  # largest losses first
    citations: list[CitationRef]  # the guidance behind the advice; empty when better

    @property
    def verdict(self) -> Verdict:
        return self.difference.verdict

    @property
    def advice(self) -> str | None:
        """What to do when tuning did not clearly win; None when it did."""
        return None if self.verdict == "better" else NOT_BETTER_ADVICE

    def breakdown_rows(self) -> list[BreakdownRow]:
        """One row per class, field or aspect, in the evaluator's order (both models
        were scored on the same references, so they have the same groups)."""
        missing = GroupScore(value=0.0, support=0)
        return [
            BreakdownRow(group=group, support=base.support, baseline=base.value,
                         tuned=self.tuned.breakdown.get(group, missing).value)
            for group, base in self.baseline.breakdown.items()
        ]

    def render_text(self) -> str:
        return render.as_text(self)

    def render_markdown(self) -> str:
        return render.as_mrkdwn(self)
