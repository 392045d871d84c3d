"""What both runners share: job names from launch ids, the spec a job is started with,
atomic small-file writes and the error text of a failed run."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from bot.finetune.progress import PREFIX
from bot.jobs.backend import BackendRefused
from bot.jobs.spec import DataFile, JobSpec

ENTRYPOINT_MODULE = "bot.finetune.train_lora"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def job_name(launch_id: str) -> str:
    """A file- and id-safe name that is a function of the launch id alone."""
    if _SAFE.fullmatch(launch_id):
        return launch_id
    return "h" + hashlib.sha256(launch_id.encode()).hexdigest()[:32]


def check_lora(spec: JobSpec) -> None:
    if spec.backend != "lora":
        raise BackendRefused(f"The LoRA runner does not run {spec.backend!r} jobs.")


def with_absolute_paths(spec: JobSpec) -> JobSpec:
    """The spec with its data paths resolved against this process's current directory,
    so the job can run from anywhere."""
    update = {"training_file": _resolved(spec.training_file)}
    if spec.validation_file is not None:
        update["validation_file"] = _resolved(spec.validation_file)
    return spec.model_copy(update=update)


def _resolved(data: DataFile) -> DataFile:
    return data.model_copy(update={"path": data.path.resolve()})


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so readers see the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def failure_text(lead: str, log_text: str, lines: int = 6) -> str:
    """`lead` and the last non-empty, non-progress lines of a job's log."""
    tail = [line.rstrip() for line in log_text.splitlines() if line.strip() and PREFIX not in line][
        -lines:
    ]
    return lead + ("\nLast log lines:\n" + "\n".join(tail) if tail else "")
