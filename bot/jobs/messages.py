"""Plain words for a job's state: one line for lists, a progress text updated in
place, and the terminal messages. Pure functions; Slack and the CLI share them:
`quote` escapes text that came from outside (Slack passes its mrkdwn escape) and
`mention` shows who did something (Slack turns user ids into mentions)."""

from __future__ import annotations

from collections.abc import Callable

from bot.jobs.backend import JobStatus, Progress
from bot.jobs.store import Job

STATUS_WORDS = {
    JobStatus.PENDING: "submitting",
    JobStatus.VALIDATING: "validating files",
    JobStatus.QUEUED: "queued",
    JobStatus.RUNNING: "running",
    JobStatus.SUCCEEDED: "succeeded",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}
ICONS = {JobStatus.SUCCEEDED: "✅", JobStatus.FAILED: "❌", JobStatus.CANCELLED: "⏹"}


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    return f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def progress_line(progress: Progress | None) -> str:
    if progress is None:
        return "no progress reported yet"
    parts = []
    if progress.step is not None:
        total = f"/{progress.total_steps}" if progress.total_steps else ""
        parts.append(f"step {progress.step}{total}")
    if progress.epoch is not None:
        parts.append(f"epoch {progress.epoch:.2f}")
    if progress.loss is not None:
        parts.append(f"loss {progress.loss:.4f}")
    if progress.eval_loss is not None:
        parts.append(f"eval loss {progress.eval_loss:.4f}")
    if progress.tokens_per_s:
        parts.append(f"{progress.tokens_per_s:,.0f} tokens/s")
    if progress.eta_s is not None:
        parts.append(f"ETA {_duration(progress.eta_s)}")
    return " · ".join(parts) or "no progress reported yet"


def summary_line(job: Job) -> str:
    return (f"{job.id}  {STATUS_WORDS[job.status]:<16} {job.backend:<6} {job.spec.base_model}"
            f"  (checklist {job.spec.checklist_id}, by {job.spec.requested_by})")


Quote = Callable[[str], str]


def _same(text: str) -> str:
    return text


def progress_text(job: Job, quote: Quote = _same) -> str:
    return (f"Fine-tuning job {job.id}: {STATUS_WORDS[job.status]} — {job.backend}, "
            f"{quote(job.spec.base_model)}\n{progress_line(job.progress)}")


def finished_text(job: Job, quote: Quote = _same, mention: Quote = _same) -> str:
    icon = ICONS.get(job.status, "")
    if job.status is JobStatus.SUCCEEDED:
        outcome = job.outcome
        lines = [f"{icon} Fine-tuning job {job.id} succeeded."]
        if outcome and outcome.model:
            what = "Model" if job.backend == "openai" else "Adapter"
            lines.append(f"{what}: {quote(outcome.model)}")
        if outcome and outcome.trained_tokens is not None:
            lines.append(f"Trained tokens: {outcome.trained_tokens:,}")
        if outcome and outcome.final_eval_loss is not None:
            lines.append(f"Final eval loss: {outcome.final_eval_loss:.4f}")
        lines.append("Next: compare it with the prompted baseline on the held-out set.")
        return "\n".join(lines)
    if job.status is JobStatus.FAILED:
        return (f"{icon} Fine-tuning job {job.id} failed: "
                f"{quote(job.error or 'no reason given')}\n"
                "What to check: the training file (`ft-advisor validate`), the base model "
                "name and access to it, and the backend's quota; `ft-advisor status "
                f"{job.id}` shows every event.")
    by = mention(job.cancelled_by) if job.cancelled_by else "someone outside ft-advisor"
    return f"{icon} Fine-tuning job {job.id} was cancelled by {by}."
