"""The interface every fine-tuning backend implements, and the status vocabulary
the store, the watcher and the notifications share."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.jobs.spec import JobSpec


class JobStatus(StrEnum):
    PENDING = "pending"  # claimed in the store; not yet accepted by a backend
    VALIDATING = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True)
class Progress:
    step: int | None = None
    total_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    eval_loss: float | None = None
    learning_rate: float | None = None
    tokens_per_s: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class BackendEvent:
    id: str  # unique per job, stable across polls
    message: str
    level: str = "info"


@dataclass(frozen=True)
class Outcome:
    """What a finished job produced."""

    model: str | None = None  # OpenAI fine_tuned_model, or the adapter directory
    trained_tokens: int | None = None
    final_eval_loss: float | None = None
    loss_curve: str | None = None  # path of a PNG, when the backend made one


@dataclass(frozen=True)
class Snapshot:
    """A backend's view of one job now. Unknown provider statuses map to RUNNING (or
    the last known status) so the watcher keeps polling."""

    status: JobStatus
    progress: Progress | None = None
    events: list[BackendEvent] = field(default_factory=list)  # new since `cursor`
    cursor: str | None = None  # pass back to `poll` to get only newer events
    outcome: Outcome | None = None
    error: str | None = None  # plain words, when failed


class BackendRefused(Exception):
    """The backend will not take this job (ineligible, closed, bad input); `str()` is
    safe to show to users."""


class Backend(Protocol):
    name: str

    def find(self, launch_id: str) -> str | None:
        """The external id of a job already created for `launch_id`, if any."""

    def submit(self, spec: JobSpec) -> str:
        """Create the job and return its external id. Must never create a second job
        for the same `spec.launch_id` (reconcile with `find` after any ambiguous failure)."""

    def poll(self, external_id: str, cursor: str | None = None) -> Snapshot:
        """The job's status, progress, new events and (when finished) outcome."""

    def cancel(self, external_id: str) -> None:
        """Ask the backend to stop the job; the next poll reports CANCELLED."""
