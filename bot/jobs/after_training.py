"""After a job succeeds: evaluate the tuned model against its base model on the
held-out set and post the comparison and its chart in the job's thread, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.evaluation.comparison import Comparison
from bot.jobs.backend import JobStatus
from bot.jobs.store import Job, JobStore

log = logging.getLogger(__name__)
EVALUATION = "evaluation"  # notification key

Evaluate = Callable[[Job], Comparison]
Chart = Callable[[Comparison, Path], Path]


class AfterTraining:
    def __init__(self, client: WebClient, store: JobStore, evaluate: Evaluate, chart: Chart,
                 charts_dir: Path) -> None:
        self._client = client
        self._store = store
        self._evaluate = evaluate
        self._chart = chart
        self._charts_dir = charts_dir
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evaluate")

    def __call__(self, job: Job) -> None:
        """Start the evaluation of a succeeded job (once, whoever calls)."""
        if job.status is JobStatus.SUCCEEDED and job.spec.channel and \
                self._store.claim_notification(job.id, EVALUATION):
            self._pool.submit(self._run_logged, job)

    def _run_logged(self, job: Job) -> None:
        try:
            self._run(job)
        except Exception:  # a pool thread has nobody to raise to
            log.exception("posting the evaluation of job %s failed", job.id)

    def _run(self, job: Job) -> None:
        assert job.spec.channel is not None
        chart = None
        try:
            comparison = self._evaluate(job)
            text = comparison.render_markdown()
            self._charts_dir.mkdir(parents=True, exist_ok=True)
            chart = self._chart(comparison, self._charts_dir / f"{job.id}-comparison.png")
        except Exception as exc:
            log.warning("evaluating job %s failed", job.id, exc_info=True)
            text = (f"I could not evaluate job {job.id} on the held-out set "
                    f"({type(exc).__name__}: {exc}). Run `ft-advisor eval --compare {job.id}` "
                    "to retry.")
        response = self._client.chat_postMessage(
            channel=job.spec.channel, thread_ts=job.spec.thread_ts, text=text,
            metadata={"event_type": "ft_job_notification",
                      "event_payload": {"job_id": job.id, "key": EVALUATION}})
        self._store.confirm_notification(job.id, EVALUATION, str(response["ts"]))
        if chart is not None:
            try:
                self._client.files_upload_v2(channel=job.spec.channel,
                                             thread_ts=job.spec.thread_ts, file=str(chart),
                                             title=f"Baseline vs tuned, job {job.id}")
            except (SlackApiError, OSError) as exc:
                log.warning("could not upload the comparison chart of job %s: %s", job.id,
                            type(exc).__name__)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
