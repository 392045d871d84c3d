"""A scripted in-memory backend for testing the gate, the store and the watcher
(the real backends have their own tests against real runners and the OpenAI SDK)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.jobs.backend import BackendEvent, BackendRefused, JobStatus, Outcome, Progress, Snapshot
from bot.jobs.spec import JobSpec


@dataclass
class ScriptedBackend:
    name: str = "lora"
    script: list[Snapshot] = field(default_factory=list)  # successive polls
    refuse: str | None = None
    created: dict[str, JobSpec] = field(default_factory=dict)  # external id -> spec
    calls: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _polls: dict[str, int] = field(default_factory=dict)

    def find(self, launch_id: str) -> str | None:
        self.calls.append("find")
        return next(
            (ext for ext, spec in self.created.items() if spec.launch_id == launch_id), None
        )

    def submit(self, spec: JobSpec) -> str:
        self.calls.append("submit")
        if self.refuse:
            raise BackendRefused(self.refuse)
        with self._lock:
            external_id = f"ext-{len(self.created) + 1}"
            self.created[external_id] = spec
        return external_id

    def poll(self, external_id: str, cursor: str | None = None) -> Snapshot:
        self.calls.append("poll")
        if external_id in self.cancelled:
            return Snapshot(JobStatus.CANCELLED)
        index = self._polls.get(external_id, 0)
        self._polls[external_id] = index + 1
        return self.script[min(index, len(self.script) - 1)]

    def cancel(self, external_id: str) -> None:
        self.calls.append("cancel")
        self.cancelled.append(external_id)


def running(step: int, loss: float) -> Snapshot:
    return Snapshot(
        JobStatus.RUNNING,
        Progress(step=step, total_steps=30, epoch=step / 10, loss=loss, eta_s=60.0 * (30 - step)),
        events=[BackendEvent(f"e{step}", f"step {step}")],
        cursor=f"e{step}",
    )


SUCCESS_SCRIPT = [
    Snapshot(JobStatus.VALIDATING, events=[BackendEvent("e0", "validating")], cursor="e0"),
    Snapshot(JobStatus.QUEUED),
    running(10, 1.9),
    running(10, 1.9),  # nothing new
    running(20, 1.2),
    Snapshot(
        JobStatus.SUCCEEDED,
        Progress(step=30, total_steps=30, loss=0.8, eval_loss=0.9),
        outcome=Outcome(model="/jobs/adapter", trained_tokens=123_456, final_eval_loss=0.9),
    ),
]
