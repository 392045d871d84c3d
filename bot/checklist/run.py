"""Runs the checklist: validates and splits the dataset, estimates the cost, judges
the eight items and stores the result with the dataset's content hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.advice.framework import Goal
from bot.checklist import items
from bot.checklist.answers import ChecklistAnswers
from bot.checklist.costs import CostTable, DatasetSize, estimate_costs, render_cost_table
from bot.checklist.pricing import Pricing
from bot.checklist.result import ChecklistResult, DatasetRef
from bot.config import Settings
from bot.datasets.report import ValidationReport
from bot.datasets.split import split_dataset
from bot.datasets.validate import validate_dataset

if TYPE_CHECKING:
    from bot.evaluation.store import Baseline

SPLIT_SEED = "ft-advisor"  # fixed, so the same dataset always splits the same way
LORA_MIN_EXAMPLES = 10  # below this a LoRA run learns nothing worth evaluating
TRAINING_PACKAGES = ("torch", "transformers", "peft")


class BaselineLookup(Protocol):
    def latest_for(self, held_out_sha256: str) -> Baseline | None: ...


@dataclass(frozen=True)
class CheckContext:
    settings: Settings
    pricing: Pricing
    goal_of: Callable[[str], Goal | None]
    today: dt.date
    baselines: BaselineLookup | None = None  # `ft-advisor eval`, `/finetune baseline` runs


@dataclass(frozen=True)
class Requester:
    user: str | None = None
    channel: str | None = None
    thread_ts: str | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def backend_limits(answers: ChecklistAnswers, pricing: Pricing) -> tuple[int, int, str | None]:
    """(minimum examples, max tokens per example, tokenizer model) of the chosen backend."""
    if answers.backend == "openai":
        model = pricing.openai_model(answers.openai_model)
        return model.min_examples, model.max_example_tokens, answers.openai_model
    return LORA_MIN_EXAMPLES, answers.max_seq_length, answers.base_model


def run_checklist(answers: ChecklistAnswers, dataset: Path | None, ctx: CheckContext,
                  requester: Requester | None = None) -> ChecklistResult:
    requester = requester or Requester()
    goal, source = _goal(answers, ctx)
    min_examples, max_tokens, token_model = backend_limits(answers, ctx.pricing)
    report = ref = holdout = None
    if dataset is not None:
        report = validate_dataset(dataset, model=token_model, max_example_tokens=max_tokens,
                                  min_examples=min_examples,
                                  validation_path=answers.validation_file)
        ref, holdout = _held_out(dataset, report, answers, ctx.settings.data_dir)
    facts = _dataset_facts(report)
    table = _costs(report, ref, answers, ctx.pricing)
    result = ChecklistResult(
        requested_by=requester.user, channel=requester.channel, thread_ts=requester.thread_ts,
        answers=answers, dataset=ref,
        validation=report.model_dump(mode="json") if report else None,
        costs=table.model_dump(mode="json") if table else None,
        cost_text=render_cost_table(table) if table else None,
        items=[
            items.use_case(goal, source),
            items.prompting(answers, _measured(ref, answers, ctx.baselines)),
            items.knowledge_base(answers, goal),
            items.data_sufficient(answers, facts, min_examples),
            items.dataset_valid(facts),
            items.held_out(holdout, blocked=facts is not None and not facts.usable),
            items.backend_available(_backend_facts(answers, ctx.settings, min_examples),
                                    answers, ctx.today),
            items.within_budget(_cost_facts(table, answers, ctx)),
        ],
    )
    return result


def _goal(answers: ChecklistAnswers, ctx: CheckContext) -> tuple[Goal | None, str]:
    if answers.goal is not None:
        return answers.goal, "as answered"
    if answers.use_case and answers.use_case.strip():
        return ctx.goal_of(answers.use_case), "read from the use case"
    return None, ""


def _measured(ref: DatasetRef | None, answers: ChecklistAnswers,
              baselines: BaselineLookup | None) -> items.BaselineFacts | None:
    """The latest baseline recorded for the held-out file: the validation file, or the
    source dataset when ft-advisor splits it."""
    if ref is None or baselines is None:
        return None
    sha = ref.validation_sha256 if answers.validation_file is not None else ref.sha256
    found = baselines.latest_for(sha) if sha else None
    if found is None:
        return None
    return items.BaselineFacts(score=found.score, evaluator=found.evaluator,
                               examples=found.examples, model=found.model,
                               measured_on=found.created_at.date())


def _dataset_facts(report: ValidationReport | None) -> items.DatasetFacts | None:
    if report is None:
        return None
    return items.DatasetFacts(
        valid_examples=report.examples - report.invalid_examples,
        usable=report.usable,
        error_summary=_summary(report.errors),
        warning_summary=_summary(report.warnings),
    )


def _summary(problems: dict[str, Any], limit: int = 3) -> str:
    ranked = sorted(problems.items(), key=lambda kv: -kv[1].count)
    parts = []
    for name, problem in ranked[:limit]:
        lines = f" (lines {', '.join(map(str, problem.lines[:3]))})" if problem.lines else ""
        parts.append(f"{name.replace('_', ' ')} ×{problem.count}{lines}")
    if len(ranked) > limit:
        parts.append(f"{len(ranked) - limit} more kinds")
    return "; ".join(parts)


def _held_out(dataset: Path, report: ValidationReport, answers: ChecklistAnswers,
              data_dir: Path) -> tuple[DatasetRef | None, items.HoldoutFacts | None]:
    sha = file_sha256(dataset)
    valid = report.examples - report.invalid_examples
    if answers.validation_file is not None:
        validation = report.validation
        overlap = report.warnings.get("train_validation_overlap")
        holdout = items.HoldoutFacts(
            how=f"the validation file {answers.validation_file.name}",
            train_examples=valid,
            validation_examples=validation.examples - validation.invalid_examples
            if validation else 0,
            overlap=overlap.count if overlap else 0,
            usable=bool(validation and validation.usable),
        )
        # Keep copies: a launch must find exactly these bytes, even after a Slack
        # upload's temporary file is gone or the user edits theirs.
        kept = data_dir / "datasets" / sha[:16]
        train = _keep(dataset, kept / "train.jsonl")
        held = _keep(answers.validation_file, kept / "validation.jsonl")
        ref = DatasetRef(
            source=str(dataset), sha256=sha, train_file=str(train), train_sha256=sha,
            validation_file=str(held), validation_sha256=file_sha256(held),
            train_examples=valid, validation_examples=holdout.validation_examples)
        return ref, holdout
    if not report.usable:
        return None, None
    split = split_dataset(dataset, data_dir / "datasets" / sha[:16],
                          fraction=answers.holdout_fraction, seed=SPLIT_SEED)
    holdout = items.HoldoutFacts(
        how=f"a {answers.holdout_fraction:.0%} split made by ft-advisor (seed "
            f"'{SPLIT_SEED}')",
        train_examples=split.counts.train, validation_examples=split.counts.validation,
        overlap=0, usable=split.counts.validation > 0)
    ref = DatasetRef(
        source=str(dataset), sha256=sha, train_file=str(split.train_path),
        train_sha256=file_sha256(split.train_path),
        validation_file=str(split.validation_path),
        validation_sha256=file_sha256(split.validation_path),
        train_examples=split.counts.train, validation_examples=split.counts.validation)
    return ref, holdout


def _keep(source: Path, target: Path) -> Path:
    """Copy `source` to `target` atomically (a temp name, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copyfile(source, partial)
    partial.replace(target)
    return target


def _costs(report: ValidationReport | None, ref: DatasetRef | None,
           answers: ChecklistAnswers, pricing: Pricing) -> CostTable | None:
    if report is None or not report.usable:
        return None
    valid = max(report.examples - report.invalid_examples, 1)
    share = (ref.train_examples / valid) if ref else 1.0
    size = DatasetSize(
        examples=ref.train_examples if ref else valid,
        billable_tokens=round(report.tokens.total * share),
        mean_prompt_tokens=report.stats.mean_prompt_tokens,
        mean_completion_tokens=report.stats.mean_completion_tokens,
    )
    table = estimate_costs(
        size, pricing=pricing, openai_model=answers.openai_model, epochs=answers.epochs,
        base_model=answers.base_model, gpu=answers.gpu,
        monthly_requests=answers.monthly_requests, current_model=answers.current_model)
    if not report.tokens.exact:
        note = (f"Token counts are estimated with {report.tokens.encoding}: the base model's "
                "own tokenizer is not available locally.")
        table = table.model_copy(update={"assumptions": [note, *table.assumptions]})
    if ref is not None and ref.train_examples != valid:
        note = (f"Training tokens are the dataset's, scaled to the {ref.train_examples:,} "
                "examples of the training split.")
        table = table.model_copy(update={"assumptions": [*table.assumptions, note]})
    return table


def _backend_facts(answers: ChecklistAnswers, settings: Settings,
                   min_examples: int) -> items.BackendFacts:
    problem = None
    if answers.backend == "lora":
        if settings.lora_runner == "ray" and not settings.ray_address:
            problem = "FT_LORA_RUNNER is 'ray' but RAY_ADDRESS is not set."
        elif settings.lora_runner == "local":
            missing = [p for p in TRAINING_PACKAGES if importlib.util.find_spec(p) is None]
            if missing:
                problem = (f"The local runner needs {', '.join(missing)}: "
                           "pip install 'ft-advisor[train]', or use a Ray cluster "
                           "(FT_LORA_RUNNER=ray).")
    return items.BackendFacts(
        backend=answers.backend, min_examples=min_examples,
        openai_key=settings.openai_api_key is not None,
        runner=settings.lora_runner, runner_problem=problem)


def _cost_facts(table: CostTable | None, answers: ChecklistAnswers,
                ctx: CheckContext) -> items.CostFacts:
    currency = ctx.pricing.currency
    budget = ctx.settings.budget
    if table is None:
        return items.CostFacts(None, currency, budget,
                               "Attach a dataset without blocking errors to estimate the "
                               "cost from its tokens.")
    estimate, note = table.route_estimate(answers.backend)
    return items.CostFacts(estimate, currency, budget, note)
