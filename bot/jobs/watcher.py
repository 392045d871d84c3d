"""Polls every unfinished job, records each transition and backend event once, and
tells the notifier. Backs off per job while nothing changes; on start it simply
picks up every unfinished job in the store, so a restart resumes watching."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.jobs.backend import TERMINAL, Backend, BackendRefused, JobStatus, Outcome, Snapshot
from bot.jobs.store import Job, JobStore

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def progress(self, job: Job) -> None:
        """Create or update the job's one progress message."""

    def finished(self, job: Job) -> None:
        """Post the job's terminal message (once per status)."""

    def deliver_pending(self, job: Job) -> None:
        """Finish notifications claimed before a crash."""


@dataclass
class _Schedule:
    due: float = 0.0
    interval: float = 0.0


class Watcher:
    def __init__(self, store: JobStore, backend_for: Callable[[str], Backend],
                 notifier: Notifier | None = None, *, interval_s: float = 30.0,
                 max_interval_s: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 on_finished: Callable[[Job], None] | None = None) -> None:
        self._store = store
        self._backend_for = backend_for
        self._notifier = notifier
        self._interval = interval_s
        self._max_interval = max_interval_s
        self._clock = clock
        self._schedule: dict[str, _Schedule] = {}
        self._on_finished = on_finished

    def poll_once(self, force: bool = False) -> int:
        """Poll each unfinished job that is due; returns how many changed."""
        changed = 0
        now = self._clock()
        for job in self._store.active():
            slot = self._schedule.setdefault(job.id, _Schedule(0.0, self._interval))
            if not force and now < slot.due:
                continue
            try:
                moved = self._poll(job)
            except Exception:  # one broken job or backend must not stop the others
                log.warning("polling job %s failed", job.id, exc_info=True)
                moved = False
            changed += moved
            slot.interval = self._interval if moved else min(slot.interval * 2,
                                                             self._max_interval)
            slot.due = now + slot.interval
        return changed

    def run(self, stop: threading.Event, tick_s: float = 1.0) -> None:
        """Poll until `stop` is set."""
        while not stop.is_set():
            self.poll_once()
            stop.wait(tick_s)

    def _poll(self, job: Job) -> bool:
        backend = self._backend_for(job.backend)
        if self._notifier is not None:
            self._notifier.deliver_pending(job)
        if job.external_id is None:
            return self._reconcile(job, backend)
        snapshot = backend.poll(job.external_id, job.cursor)
        return self._apply(job, snapshot)

    def _reconcile(self, job: Job, backend: Backend) -> bool:
        """A job claimed but never confirmed by its backend (a crash, a timeout):
        adopt the backend's job for this launch id, or submit it now."""
        try:
            external_id = backend.find(job.launch_id) or backend.submit(job.spec)
        except BackendRefused as exc:
            return self._finish(job, JobStatus.FAILED, f"refused: {exc}", error=str(exc))
        self._store.set_external_id(job.id, external_id)
        log.info("job %s is %s at %s", job.id, external_id, job.backend)
        return True

    def _apply(self, job: Job, snapshot: Snapshot) -> bool:
        new_events = sum(self._store.record_event(job.id, f"backend:{event.id}", event.message)
                         for event in snapshot.events)
        progressed = snapshot.progress is not None and self._store.record_progress(
            job.id, snapshot.progress, snapshot.cursor)
        if snapshot.status is not job.status and snapshot.status is not JobStatus.PENDING:
            if snapshot.status in TERMINAL:
                return self._finish(job, snapshot.status, f"{job.backend}: {snapshot.status}",
                                    error=snapshot.error, outcome=snapshot.outcome)
            self._store.transition(job.id, snapshot.status,
                                   message=f"{job.backend}: {snapshot.status}")
            progressed = True
        if progressed and self._notifier is not None:
            self._notifier.progress(self._store.get(job.id) or job)
        return bool(progressed or new_events)

    def _finish(self, job: Job, status: JobStatus, message: str, error: str | None = None,
                outcome: Outcome | None = None) -> bool:
        moved = self._store.transition(job.id, status, message=message, error=error,
                                       outcome=outcome)
        if self._notifier is not None:
            current = self._store.get(job.id) or job
            self._notifier.progress(current)
            self._notifier.finished(current)
        if self._on_finished is not None:
            self._on_finished(self._store.get(job.id) or job)
        return moved
