"""Run LoRA jobs on a Ray cluster through its Jobs API (the dashboard address, e.g.
http://head:8265). `ray` is imported when a runner first talks to its cluster.

How a job gets what it needs:
- code: the `bot` package is uploaded with the job (runtime_env py_modules); its
  libraries (torch, transformers, peft, matplotlib: the `train` extra) must already be
  installed in the cluster's Python (the usual way: a cluster image built with them);
- spec: uploaded in the job's working_dir as spec.json;
- data: with `upload_data=False` (the default) the spec's data paths are used as they
  are, so they must name the same files on the cluster (shared storage: NFS, EFS, a
  mounted bucket); with `upload_data=True` the files travel in the working_dir (Ray caps
  a package at about 500 MiB, so this suits small and medium sets);
- outputs: written to `jobs_dir/<launch id>` as the cluster sees it; put `jobs_dir` on
  shared storage to read the adapter from elsewhere. Progress and errors are read from
  the job's logs, so polling needs no shared storage.

Idempotency: the submission id is a function of the launch id and Ray refuses a second
job with the same one, so `find` is a `get_job_info` and a repeated `submit` adopts."""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import bot
from bot.finetune.progress import PREFIX, outcome, parse_cursor, summarize
from bot.finetune.runners.common import (
    ENTRYPOINT_MODULE,
    check_lora,
    failure_text,
    job_name,
    with_absolute_paths,
)
from bot.jobs.backend import JobStatus, Snapshot
from bot.jobs.spec import DataFile, JobSpec

_STATUS = {
    "PENDING": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "STOPPED": JobStatus.CANCELLED,
    "SUCCEEDED": JobStatus.SUCCEEDED,
    "FAILED": JobStatus.FAILED,
}


class RayRunner:
    """The "lora" backend as Ray jobs."""

    name = "lora"

    def __init__(
        self,
        address: str,
        jobs_dir: str | Path,
        *,
        python: str = "python",
        upload_data: bool = False,
        env_vars: Mapping[str, str] | None = None,
        num_gpus: float = 0,
        grace_s: float = 30.0,
    ) -> None:
        self.address = address
        self.jobs_dir = str(jobs_dir)  # a path on the cluster
        self.python = python
        self.upload_data = upload_data
        self.env_vars = dict(env_vars or {})
        self.num_gpus = num_gpus
        self.grace_s = grace_s
        self._client: Any = None

    def find(self, launch_id: str) -> str | None:
        submission_id = _submission_id(launch_id)
        try:
            self._jobs().get_job_info(submission_id)
        except RuntimeError as exc:
            if _missing(exc):
                return None
            raise
        return submission_id

    def submit(self, spec: JobSpec) -> str:
        check_lora(spec)
        found = self.find(spec.launch_id)
        if found:
            return found
        submission_id = _submission_id(spec.launch_id)
        output_dir = f"{self.jobs_dir.rstrip('/')}/{job_name(spec.launch_id)}"
        with tempfile.TemporaryDirectory(prefix="ft-ray-") as stage:
            staged = self._stage(spec, Path(stage))
            (Path(stage) / "spec.json").write_text(staged.model_dump_json(indent=2))
            command = [self.python, "-m", ENTRYPOINT_MODULE, "spec.json", output_dir]
            try:
                self._jobs().submit_job(
                    entrypoint=shlex.join(command),
                    submission_id=submission_id,
                    runtime_env={
                        "working_dir": stage,
                        "py_modules": [str(Path(bot.__file__).resolve().parent)],
                        "excludes": ["__pycache__", "*.pyc"],
                        "env_vars": {"PYTHONUNBUFFERED": "1", **self.env_vars},
                    },
                    metadata={"launch_id": spec.launch_id, "backend": "lora"},
                    entrypoint_num_gpus=self.num_gpus or None,
                )
            except RuntimeError:
                if self.find(spec.launch_id):  # a concurrent or earlier submit won
                    return submission_id
                raise
        return submission_id

    def poll(self, external_id: str, cursor: str | None = None) -> Snapshot:
        client = self._jobs()
        try:
            info = client.get_job_info(external_id)
        except RuntimeError as exc:
            if not _missing(exc):
                raise
            lost = "The Ray cluster no longer knows this job (Ray jobs end with their cluster)."
            return Snapshot(JobStatus.FAILED, cursor=cursor, error=lost)
        status = _STATUS.get(str(getattr(info.status, "value", info.status)), JobStatus.RUNNING)
        logs = client.get_job_logs(external_id)
        summary = summarize(logs, parse_cursor(cursor), prefix=PREFIX)
        result, error = None, None
        if status is JobStatus.SUCCEEDED:
            result = outcome(summary.done) if summary.done else None
            if result is None:
                status = JobStatus.FAILED
                error = "The job exited without reporting that training finished."
        if status is JobStatus.FAILED and error is None:
            if summary.error:
                error = f"Training failed: {summary.error}"
            else:
                error = failure_text(
                    f"The Ray job failed: {info.message or 'no reason given'}", logs
                )
        return Snapshot(
            status=status,
            progress=summary.progress,
            events=summary.events,
            cursor=str(summary.cursor),
            outcome=result,
            error=error,
        )

    def cancel(self, external_id: str) -> None:
        client = self._jobs()
        client.stop_job(external_id)
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline:
            status = client.get_job_status(external_id)
            if str(getattr(status, "value", status)) in ("STOPPED", "SUCCEEDED", "FAILED"):
                return
            time.sleep(0.5)

    def _jobs(self) -> Any:
        if self._client is None:
            from ray.job_submission import JobSubmissionClient

            self._client = JobSubmissionClient(self.address)
        return self._client

    def _stage(self, spec: JobSpec, stage: Path) -> JobSpec:
        """The spec the job runs: data paths absolute, or, with `upload_data`, copies in
        the working dir under relative paths."""
        if not self.upload_data:
            return with_absolute_paths(spec)
        (stage / "data").mkdir()

        def copy(data: DataFile, name: str) -> DataFile:
            shutil.copyfile(data.path, stage / "data" / name)
            return data.model_copy(update={"path": Path("data") / name})

        update = {"training_file": copy(spec.training_file, "train.jsonl")}
        if spec.validation_file is not None:
            update["validation_file"] = copy(spec.validation_file, "validation.jsonl")
        return spec.model_copy(update=update)


def _submission_id(launch_id: str) -> str:
    return f"ft-lora-{job_name(launch_id)}"


def _missing(exc: RuntimeError) -> bool:
    """Whether a Jobs API error says the job does not exist (HTTP 404)."""
    return "status code 404" in str(exc) or "does not exist" in str(exc)
