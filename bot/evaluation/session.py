"""The two evaluations a team runs: the prompted baseline on the held-out set, and a
finished job's tuned model against its base model on the same set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.errors import InputError
from bot.evaluation.client import chat_client
from bot.evaluation.compare import compare
from bot.evaluation.comparison import Comparison
from bot.evaluation.examples import HeldOutExample, load_held_out
from bot.evaluation.pick import pick_evaluator
from bot.evaluation.predictor import Predictor, run_predictor
from bot.evaluation.runner import RunResult, run_chat_model
from bot.evaluation.scoring import Evaluation
from bot.jobs.backend import JobStatus
from bot.jobs.store import Job

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BaselineResult:
    model: str
    examples: int
    evaluation: Evaluation
    run: RunResult


def held_out(path: Path) -> list[HeldOutExample]:
    examples = load_held_out(path)
    if not examples:
        raise InputError(f"{path} has no usable held-out examples (each needs a final "
                         "assistant reply as the reference).")
    return examples


def run_baseline(settings: Settings, examples: list[HeldOutExample], model: str, *,
                 system_prompt: str | None = None, evaluator: str | None = None,
                 concurrency: int = 8, progress: Progress | None = None) -> BaselineResult:
    """Score `model` (with the team's prompt) on the held-out examples: a local model
    folder (the LoRA base model) runs here, any other name on the configured
    OpenAI-compatible endpoint."""
    if Path(model).is_dir():
        run = run_predictor(_local_model(model), examples, system_prompt=system_prompt)
    else:
        run = run_chat_model(examples, client=chat_client(settings), model=model,
                             system_prompt=system_prompt, concurrency=concurrency,
                             progress=progress)
    references = [e.reference for e in examples]
    scored = pick_evaluator(references, evaluator).evaluate(run.predictions, references)
    return BaselineResult(model, len(examples), scored, run)


def _local_model(path: str) -> Predictor:
    try:
        from bot.finetune.predict import LocalChatModel
    except ImportError as exc:
        raise InputError("Running a local model needs the training extra: pip install "
                         "'ft-advisor[train]'.") from exc
    return LocalChatModel(path)


def compare_job(settings: Settings, job: Job, *, system_prompt: str | None = None,
                evaluator: str | None = None, concurrency: int = 8,
                lora_predictors: Callable[[Job], tuple[Predictor, Predictor]] | None = None,
                progress: Progress | None = None) -> Comparison:
    """Base model vs the job's tuned model on the job's held-out file."""
    if job.status is not JobStatus.SUCCEEDED or job.outcome is None or not job.outcome.model:
        raise InputError(f"Job {job.id} has no tuned model to evaluate ({job.status.value}).")
    if job.spec.validation_file is None:
        raise InputError(f"Job {job.id} was trained without a held-out file.")
    examples = held_out(job.spec.validation_file.path)
    prompts = [e.prompt for e in examples]
    if job.backend == "openai":
        client = chat_client(settings)
        runs = [run_chat_model(examples, client=client, model=model,
                               system_prompt=system_prompt, concurrency=concurrency,
                               progress=progress)
                for model in (job.spec.base_model, job.outcome.model)]
    else:
        if lora_predictors is None:
            raise InputError("Evaluating a LoRA adapter needs the training extra installed.")
        base, tuned = lora_predictors(job)
        runs = [run_predictor(p, examples, system_prompt=system_prompt) for p in (base, tuned)]
    references = [e.reference for e in examples]
    return compare(runs[0].predictions, runs[1].predictions, references,
                   pick_evaluator(references, evaluator), prompts=prompts,
                   baseline_name=job.spec.base_model, tuned_name=job.outcome.model)
