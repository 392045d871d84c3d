"""Run LoRA jobs as local processes, one directory per job, that any runner object over
the same jobs directory can find, poll and cancel (also after the bot restarted).

A job directory (`jobs_dir/<launch id>`) holds:
- spec.json: the JobSpec, data paths absolute; written before the process starts;
- pid: `{"pid", "start"}` of the process-group leader, a shell wrapper (start: its
  kernel start time, to tell it from a later process that reuses the pid); written
  before `submit` returns;
- train.log: the process's stdout and stderr;
- progress.jsonl, checkpoints/, adapter/, loss_curve.png: the training outputs;
- exit_code: written by a shell wrapper when the training process exits;
- cancelled: written by `cancel` before it signals the process group.
POSIX only (process groups, signals)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import bot
from bot.finetune.progress import outcome, parse_cursor, summarize
from bot.finetune.runners.common import (
    ENTRYPOINT_MODULE,
    check_lora,
    failure_text,
    job_name,
    with_absolute_paths,
    write_atomic,
)
from bot.jobs.backend import JobStatus, Snapshot
from bot.jobs.spec import JobSpec

PREFIX = "local:"
# Runs the entrypoint, then records its exit status (128+N when killed by signal N).
_WRAPPER = '"$@"; echo $? > exit_code.tmp && mv -f exit_code.tmp exit_code'
_LAUNCH_GRACE_S = 120.0  # a job dir this old with no pid file: the launch was interrupted
_SIGNALS = {9: "SIGKILL (often: out of memory)", 15: "SIGTERM", 6: "SIGABRT"}


class LocalRunner:
    """The "lora" backend as subprocesses of this machine."""

    name = "lora"

    def __init__(
        self,
        jobs_dir: Path,
        python: str = sys.executable,
        *,
        env: Mapping[str, str] | None = None,
        grace_s: float = 10.0,
    ) -> None:
        self.jobs_dir = Path(jobs_dir)
        self.python = python
        self.env = dict(env or {})
        self.grace_s = grace_s
        self._children: dict[int, subprocess.Popen[bytes]] = {}  # to reap what we started

    def find(self, launch_id: str) -> str | None:
        name = job_name(launch_id)
        return PREFIX + name if (self.jobs_dir / name / "spec.json").exists() else None

    def submit(self, spec: JobSpec) -> str:
        check_lora(spec)
        name = job_name(spec.launch_id)
        job = self.jobs_dir / name
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        try:
            job.mkdir()  # the claim: exactly one submit creates it
        except FileExistsError:
            return PREFIX + name
        try:
            write_atomic(job / "spec.json", with_absolute_paths(spec).model_dump_json(indent=2))
            process = self._start(job)
        except BaseException:
            shutil.rmtree(job, ignore_errors=True)
            raise
        self._children[process.pid] = process
        start = _start_time(process.pid)
        write_atomic(job / "pid", json.dumps({"pid": process.pid, "start": start}))
        return PREFIX + name

    def poll(self, external_id: str, cursor: str | None = None) -> Snapshot:
        job = self._job_dir(external_id)
        if not (job / "spec.json").exists():
            return Snapshot(JobStatus.FAILED, error=f"No job directory at {job}.")
        self._reap()
        status, error = self._status(job)
        summary = summarize(_read(job / "progress.jsonl"), parse_cursor(cursor))
        result = None
        if status is JobStatus.SUCCEEDED:
            result = outcome(summary.done) if summary.done else None
            if result is None:
                status = JobStatus.FAILED
                error = "The training process exited without reporting that it finished."
        if status is JobStatus.FAILED and summary.error:
            error = f"Training failed: {summary.error}"
        return Snapshot(
            status=status,
            progress=summary.progress,
            events=summary.events,
            cursor=str(summary.cursor),
            outcome=result,
            error=error,
        )

    def cancel(self, external_id: str) -> None:
        job = self._job_dir(external_id)
        if (job / "exit_code").exists() or not (job / "spec.json").exists():
            return
        write_atomic(job / "cancelled", str(time.time()))
        pid = _read_pid(job)
        if pid is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _group_alive(*pid):
                return
            try:
                os.killpg(pid[0], sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + self.grace_s
            while time.monotonic() < deadline and _group_alive(*pid):
                self._reap()
                time.sleep(0.1)

    def _start(self, job: Path) -> subprocess.Popen[bytes]:
        package_root = str(Path(bot.__file__).resolve().parents[1])
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        command = [self.python, "-m", ENTRYPOINT_MODULE, "spec.json", "."]
        with (job / "train.log").open("ab") as log:
            return subprocess.Popen(
                ["/bin/sh", "-c", _WRAPPER, "sh", *command],
                cwd=job,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group, for cancel
            )

    def _status(self, job: Path) -> tuple[JobStatus, str | None]:
        if (job / "cancelled").exists():
            return JobStatus.CANCELLED, None
        pid = _read_pid(job)
        if pid is None:
            age = time.time() - (job / "spec.json").stat().st_mtime
            if age < _LAUNCH_GRACE_S:
                return JobStatus.QUEUED, None
            return JobStatus.FAILED, "The launch was interrupted before the process started."
        alive = _group_alive(*pid)
        code = _read_exit_code(job)  # read after the liveness check: the wrapper writes it last
        if code == 0:
            return JobStatus.SUCCEEDED, None
        if code is not None:
            if code > 128:
                signal_name = _SIGNALS.get(code - 128, f"signal {code - 128}")
                lead = f"The training process was killed by {signal_name}."
            else:
                lead = f"The training process exited with code {code}."
            return JobStatus.FAILED, failure_text(lead, _read(job / "train.log"))
        if alive:
            return JobStatus.RUNNING, None
        lead = (
            "The training process ended without recording an exit status "
            "(killed, or the machine restarted)."
        )
        return JobStatus.FAILED, failure_text(lead, _read(job / "train.log"))

    def _job_dir(self, external_id: str) -> Path:
        if not external_id.startswith(PREFIX):
            raise ValueError(f"Not a local LoRA job id: {external_id!r}")
        name = external_id.removeprefix(PREFIX)
        if job_name(name) != name:
            raise ValueError(f"Not a local LoRA job id: {external_id!r}")
        return self.jobs_dir / name

    def _reap(self) -> None:
        for pid, process in list(self._children.items()):
            if process.poll() is not None:
                del self._children[pid]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _read_pid(job: Path) -> tuple[int, str | None] | None:
    text = _read(job / "pid")
    if not text:
        return None
    data = json.loads(text)
    return int(data["pid"]), data.get("start")


def _read_exit_code(job: Path) -> int | None:
    text = _read(job / "exit_code").strip()
    return int(text) if text else None


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _group_alive(pgid: int, start: str | None) -> bool:
    """Whether a process of the job's group still runs. Zombies do not count, and
    neither does a group whose leader's pid now names another process."""
    if not Path("/proc/self/stat").exists():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    alive = False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it just exited
        if stat.parent.name == str(pgid) and start is not None and fields[19] != start:
            return False
        alive = alive or (fields[2] == str(pgid) and fields[0] not in ("Z", "X"))
    return alive
