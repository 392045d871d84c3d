"""OpenAI self-serve fine-tuning as a `Backend`: upload the data, create the job at
most once per launch id, and read status, events and metrics back.

The SDK retries POSTs and sends no idempotency key, so a blind retry of a create
whose answer was lost would start (and bill) a second job. Creates therefore run
with retries off; after any ambiguous failure the job list is searched for the
launch id (stored as job metadata) before trying again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import openai
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.dpo_hyperparameters_param import DpoHyperparametersParam
from openai.types.fine_tuning.job_create_params import Method
from openai.types.fine_tuning.supervised_hyperparameters_param import (
    SupervisedHyperparametersParam,
)

from bot.advice import framework as fw
from bot.errors import ConfigError
from bot.jobs.backend import (
    BackendEvent,
    BackendRefused,
    JobStatus,
    Outcome,
    Progress,
    Snapshot,
)
from bot.jobs.spec import DataFile, JobSpec, OpenAIHyperparameters

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

_, _, CLOSED, _ = (event for event, _ in fw.OPENAI_EVENTS)  # no new jobs from anyone

STATUSES = {
    "validating_files": JobStatus.VALIDATING,
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "succeeded": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
}
TRANSIENT_STATUS = frozenset({408, 409, 429})  # and every 5xx: the job may exist


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        client: openai.OpenAI,
        today: Callable[[], date],
        poll_page: int = 100,
        *,
        create_attempts: int = 4,
        backoff_s: float = 2.0,
        max_wait_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._create_client = client.with_options(max_retries=0)
        self._today = today
        self._page = poll_page
        self._attempts = create_attempts
        self._backoff_s = backoff_s
        self._max_wait_s = max_wait_s
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        if settings.openai_api_key is None:
            raise ConfigError("OpenAI fine-tuning needs an API key: set OPENAI_API_KEY.")
        client = openai.OpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,  # None: the SDK's default endpoint
            timeout=60.0,
            max_retries=3,  # safe for uploads and reads; creates turn retries off
        )
        return cls(client, settings.current_date)

    def find(self, launch_id: str) -> str | None:
        """The oldest job whose metadata carries `launch_id` (the filter is checked
        here too, in case a compatible server ignores it)."""
        jobs = self._client.fine_tuning.jobs.list(metadata={"launch_id": launch_id},
                                                  limit=self._page)
        ours = [job for job in jobs if (job.metadata or {}).get("launch_id") == launch_id]
        return min(ours, key=lambda job: job.created_at).id if ours else None

    def submit(self, spec: JobSpec) -> str:
        """Create the job, or adopt the one already created for `spec.launch_id`.

        Raises `BackendRefused` when OpenAI will not take it; re-raises the last
        `openai.APIError` when OpenAI stayed unreachable (no job was seen, so calling
        `submit` again later is safe: it adopts or creates)."""
        if self._today() >= CLOSED.date:
            raise BackendRefused(
                f"OpenAI's self-serve fine-tuning is closed: {CLOSED.past}. "
                "Train with LoRA on an open model instead.")
        existing = self.find(spec.launch_id)
        if existing:
            log.info("launch %s already has OpenAI job %s; adopting it", spec.launch_id, existing)
            return existing
        params = self._create_params(spec)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._create_client.fine_tuning.jobs.create(**params).id
            except openai.APIStatusError as err:
                if not _transient(err.status_code):
                    raise BackendRefused(f"OpenAI refused the job: {_plain(err)}") from err
                failure: openai.APIError = err
            except openai.APIConnectionError as err:  # timeouts included
                failure = err
            wait = self._wait(attempt, failure)
            log.warning("creating the OpenAI job for launch %s failed (%s, attempt %d/%d); "
                        "checking whether it exists", spec.launch_id,
                        type(failure).__name__, attempt, self._attempts)
            if wait is not None:
                self._sleep(wait)
            existing = self.find(spec.launch_id)
            if existing:
                return existing
            if wait is None or attempt >= self._attempts:
                raise failure

    def poll(self, external_id: str, cursor: str | None = None) -> Snapshot:
        """Status and outcome from the job; `events` are the message events newer than
        `cursor`, while metrics events (one per step) feed `progress` instead."""
        jobs = self._client.fine_tuning.jobs
        job = jobs.retrieve(external_id)
        new = self._events_since(external_id, cursor)  # oldest first
        status = STATUSES.get(job.status)
        if status is None:
            log.warning("OpenAI job %s has an unknown status %r; treating it as running",
                        external_id, job.status)
            status = JobStatus.RUNNING
        metrics = [event for event in new if event.type == "metrics"]
        outcome = self._outcome(job, metrics) if status is JobStatus.SUCCEEDED else None
        return Snapshot(
            status=status,
            progress=_progress(job, metrics[-1] if metrics else None),
            events=[BackendEvent(e.id, e.message, e.level) for e in new if e.type != "metrics"],
            cursor=new[-1].id if new else cursor,
            outcome=outcome,
            error=_job_error(job) if status is JobStatus.FAILED else None,
        )

    def cancel(self, external_id: str) -> None:
        try:
            self._client.fine_tuning.jobs.cancel(external_id)
        except openai.APIStatusError as err:
            if _transient(err.status_code):
                raise
            raise BackendRefused(f"OpenAI would not cancel the job: {_plain(err)}") from err

    # -- submit helpers ---------------------------------------------------------------

    def _create_params(self, spec: JobSpec) -> dict[str, Any]:
        hp = spec.openai
        params: dict[str, Any] = {
            "model": spec.base_model,
            "training_file": self._upload(spec.training_file),
            "metadata": {"launch_id": spec.launch_id},
            "method": _method(hp),
        }
        if spec.validation_file is not None:
            params["validation_file"] = self._upload(spec.validation_file)
        if hp.suffix:
            params["suffix"] = hp.suffix
        return params

    def _upload(self, data_file: DataFile) -> str:
        """Upload after checking the file is the one that was validated. The SDK may
        retry an upload; an extra orphan file costs nothing."""
        try:
            content = data_file.path.read_bytes()
        except OSError as err:
            raise BackendRefused(f"Cannot read {data_file.path}: {err.strerror}.") from err
        if hashlib.sha256(content).hexdigest() != data_file.sha256:
            raise BackendRefused(f"{data_file.path.name} changed since it was checked; "
                                 "validate it again before launching.")
        try:
            uploaded = self._client.files.create(file=(data_file.path.name, content),
                                                 purpose="fine-tune")
        except openai.APIStatusError as err:
            if _transient(err.status_code):
                raise
            raise BackendRefused(f"OpenAI refused {data_file.path.name}: {_plain(err)}") from err
        return uploaded.id

    def _wait(self, attempt: int, failure: openai.APIError) -> float | None:
        """Seconds before the next create: the server's Retry-After when it sent one
        (None when that is longer than we will block), else exponential backoff."""
        if isinstance(failure, openai.APIStatusError):
            retry_after = _retry_after(failure.response.headers)
            if retry_after is not None:
                return retry_after if retry_after <= self._max_wait_s else None
        return min(self._backoff_s * 2 ** (attempt - 1), self._max_wait_s)

    # -- poll helpers -----------------------------------------------------------------

    def _events_since(self, job_id: str, cursor: str | None) -> list[FineTuningJobEvent]:
        """Events newer than `cursor`, oldest first (the API pages newest first)."""
        page = self._client.fine_tuning.jobs.list_events(job_id, limit=self._page)
        newest_first: list[FineTuningJobEvent] = []
        while True:
            for event in page.data:
                if event.id == cursor:
                    return newest_first[::-1]
                newest_first.append(event)
            if not page.has_next_page():
                return newest_first[::-1]
            page = page.get_next_page()

    def _outcome(self, job: FineTuningJob, metrics: list[FineTuningJobEvent]) -> Outcome:
        last = metrics[-1] if metrics else self._last_metrics(job.id)
        return Outcome(model=job.fine_tuned_model, trained_tokens=job.trained_tokens,
                       final_eval_loss=_eval_loss(_data(last)) if last else None)

    def _last_metrics(self, job_id: str) -> FineTuningJobEvent | None:
        """The newest metrics event, when an earlier poll already consumed it."""
        for event in self._client.fine_tuning.jobs.list_events(job_id, limit=self._page):
            if event.type == "metrics":
                return event
        return None


def _method(hp: OpenAIHyperparameters) -> Method:
    if hp.method == "dpo":
        dpo = DpoHyperparametersParam(n_epochs=hp.n_epochs, batch_size=hp.batch_size,
                                      learning_rate_multiplier=hp.learning_rate_multiplier)
        if hp.beta is not None:
            dpo["beta"] = hp.beta
        return {"type": "dpo", "dpo": {"hyperparameters": dpo}}
    supervised = SupervisedHyperparametersParam(
        n_epochs=hp.n_epochs, batch_size=hp.batch_size,
        learning_rate_multiplier=hp.learning_rate_multiplier)
    return {"type": "supervised", "supervised": {"hyperparameters": supervised}}


def _transient(status_code: int) -> bool:
    return status_code in TRANSIENT_STATUS or status_code >= 500


def _plain(err: openai.APIStatusError) -> str:
    """The API's own message (not the SDK's 'Error code: 403 - {...}' dump)."""
    body = err.body if isinstance(err.body, Mapping) else {}
    message = str(body.get("message") or f"HTTP {err.status_code}").rstrip(".")
    return f"{message} (code {err.code})." if err.code else f"{message}."


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return max(float(headers[name]) / divisor, 0.0)
        except (KeyError, ValueError):
            continue
    return None


def _data(event: FineTuningJobEvent) -> Mapping[str, Any]:
    return event.data if isinstance(event.data, Mapping) else {}


def _number(data: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _eval_loss(data: Mapping[str, Any]) -> float | None:
    return _number(data, "full_valid_loss", "valid_loss")


def _progress(job: FineTuningJob, metrics: FineTuningJobEvent | None) -> Progress | None:
    """Progress from the newest metrics event and the job's estimated finish."""
    eta = max(job.estimated_finish - time.time(), 0.0) if job.estimated_finish else None
    if metrics is None:
        return Progress(eta_s=eta) if eta is not None else None
    data = _data(metrics)
    step, total = _number(data, "step"), _number(data, "total_steps")
    epochs = job.hyperparameters.n_epochs
    epoch = (step / total * epochs if step is not None and total and isinstance(epochs, int)
             else None)
    return Progress(
        step=int(step) if step is not None else None,
        total_steps=int(total) if total is not None else None,
        epoch=epoch,
        loss=_number(data, "train_loss"),
        eval_loss=_eval_loss(data),
        eta_s=eta,
    )


def _job_error(job: FineTuningJob) -> str:
    if job.error is None or not job.error.message:
        return "OpenAI reported the job failed without giving a reason."
    message = job.error.message.rstrip(".")
    return f"{message} (code {job.error.code})." if job.error.code else f"{message}."
