"""`ft-advisor launch / jobs / status / cancel` as a user runs them (real
subprocesses), launching on the OpenAI route through the real SDK against the local
fine-tuning API stub."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.checklist.test_run import PASSING
from tests.conftest import TODAY
from tests.stubs.openai_ft_stub import FineTuningStub, fine_tuning_stub
from tests.test_cli import run

WALK = ["validating_files", "queued", "running", "running", "succeeded"]


@pytest.fixture
def stub() -> Iterator[FineTuningStub]:
    with fine_tuning_stub() as running:
        running.walk = list(WALK)
        yield running


def env(stub: FineTuningStub, launchers: str) -> dict[str, str]:
    return {
        "FT_BUDGET": "50",
        "FT_LAUNCHERS": launchers,
        "OPENAI_API_KEY": "sk-test",
        "OPENAI_BASE_URL": stub.base_url,
        "FT_WATCH_INTERVAL_S": "0.05",
    }


def passed_checklist(
    tmp_path: Path, data: Path, extra: dict[str, str], write_dataset: Callable[..., Path]
) -> str:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        yaml.safe_dump({**PASSING, "backend": "openai", "openai_org_eligible": True}),
        encoding="utf-8",
    )
    result = run(
        ["check", "--answers", str(answers), "--dataset", str(write_dataset(700)), "--json"],
        data,
        extra_env=extra,
    )
    assert result.returncode == 0, result.stdout.decode()[-3000:]
    return str(json.loads(result.stdout)["id"])


def test_launch_follow_and_list(
    tmp_path: Path, stub: FineTuningStub, write_dataset: Callable[..., Path]
) -> None:
    data, extra = tmp_path / "data", env(stub, f"local:{getpass.getuser()}")
    checklist = passed_checklist(tmp_path, data, extra, write_dataset)
    launched = run(["launch", "--checklist", checklist, "--yes"], data, extra_env=extra)
    assert launched.returncode == 0, launched.stderr
    assert b"Launched: job " in launched.stdout and b"estimated" in launched.stderr
    job_id = launched.stdout.decode().split("Launched: job ")[1].split()[0]
    again = run(["launch", "--checklist", checklist, "--yes"], data, extra_env=extra)
    assert again.returncode == 0 and f"Already launched: job {job_id}".encode() in again.stdout
    assert len(stub.jobs) == 1
    followed = run(["status", job_id, "--follow"], data, extra_env=extra)
    assert followed.returncode == 0, followed.stderr
    out = followed.stdout.decode()
    assert f"Fine-tuning job {job_id} succeeded." in out and "Trained tokens: 12,345" in out
    assert "status:succeeded" in out and "ft:gpt-4.1-mini" in out
    listed = run(["jobs"], data, extra_env=extra)
    assert job_id in listed.stdout.decode() and "succeeded" in listed.stdout.decode()
    body = stub.create_bodies[0]
    assert body["metadata"]["launch_id"].startswith(checklist)
    assert body["model"] == "gpt-4.1-mini-2025-04-14"


def test_unlisted_users_cannot_launch_or_cancel(
    tmp_path: Path, stub: FineTuningStub, write_dataset: Callable[..., Path]
) -> None:
    data, extra = tmp_path / "data", env(stub, "U_SOMEONE_ELSE")
    checklist = passed_checklist(tmp_path, data, extra, write_dataset)
    refused = run(["launch", "--checklist", checklist, "--yes"], data, extra_env=extra)
    assert refused.returncode == 1
    assert refused.stderr.startswith(b"error: Launch refused: not authorised")
    assert stub.requests == []  # not one call reached the backend
    assert run(["cancel", "anything"], data, extra_env=extra).returncode == 1


def test_an_unconfirmed_launch_does_nothing(
    tmp_path: Path, stub: FineTuningStub, write_dataset: Callable[..., Path]
) -> None:
    data, extra = tmp_path / "data", env(stub, f"local:{getpass.getuser()}")
    checklist = passed_checklist(tmp_path, data, extra, write_dataset)
    answered_no = run(["launch", "--checklist", checklist], data, stdin=b"n\n", extra_env=extra)
    assert answered_no.returncode == 1 and b"not confirmed" in answered_no.stderr
    assert stub.requests == []


def test_cancel_a_running_job(
    tmp_path: Path, stub: FineTuningStub, write_dataset: Callable[..., Path]
) -> None:
    stub.walk = ["validating_files", "queued"] + ["running"] * 50
    data, extra = tmp_path / "data", env(stub, f"local:{getpass.getuser()}")
    checklist = passed_checklist(tmp_path, data, extra, write_dataset)
    launched = run(["launch", "--checklist", checklist, "--yes"], data, extra_env=extra)
    job_id = launched.stdout.decode().split("job ")[1].split()[0]
    cancelled = run(["cancel", job_id], data, extra_env=extra)
    assert cancelled.returncode == 0, cancelled.stderr
    shown = run(["status", job_id, "--follow"], data, extra_env=extra)
    assert f"was cancelled by local:{getpass.getuser()}" in shown.stdout.decode()
    assert ("POST", f"/fine_tuning/jobs/{next(iter(stub.jobs))}/cancel") in stub.requests


def test_a_launch_killed_after_the_provider_accepted_is_adopted_not_duplicated(
        tmp_path: Path, stub: FineTuningStub, write_dataset: Callable[..., Path]) -> None:
    data, extra = tmp_path / "data", env(stub, f"local:{getpass.getuser()}")
    checklist = passed_checklist(tmp_path, data, extra, write_dataset)
    stub.hang_next_create_s = 60  # the job is created, then the answer never comes
    launching = subprocess.Popen(
        [sys.executable, "-m", "bot", "launch", "--checklist", checklist, "--yes"],
        env={**os.environ, "FT_DATA_DIR": str(data), "FT_TODAY": TODAY.isoformat(), **extra},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not stub.jobs:  # the provider has accepted the job ...
            assert launching.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        launching.kill()  # ... and the process dies before it saved the job's id
        launching.wait()
    listed = run(["jobs"], data, extra_env=extra).stdout.decode()
    job_id = listed.split()[0]
    assert "submitting" in listed  # claimed in the store, no external id yet
    followed = run(["status", job_id, "--follow"], data, extra_env=extra)
    assert followed.returncode == 0, followed.stderr
    assert f"Fine-tuning job {job_id} succeeded." in followed.stdout.decode()
    assert len(stub.jobs) == 1  # adopted by its launch id, not created again
    assert len(stub.create_bodies) == 1
