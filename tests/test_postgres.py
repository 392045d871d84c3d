"""The relational store on a real PostgreSQL server (started by the test on
127.0.0.1, stopped after), as several bot replicas would share it via DATABASE_URL:
a launch id, a transition and a notification are each claimed once across engines."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.checklist.answers import ChecklistAnswers
from bot.checklist.result import ChecklistResult
from bot.checklist.store import ChecklistStore
from bot.db import open_engine
from bot.jobs.backend import JobStatus, Outcome
from bot.jobs.spec import DataFile, JobSpec
from bot.jobs.store import JobStore
from tests.conftest import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="ft-pg-"))  # short: unix socket paths are limited
    as_root = os.geteuid() == 0  # PostgreSQL refuses to run as root
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "ft",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-h 127.0.0.1 -p {port} -k {root}", "start"], check=True,
                   capture_output=True)
    try:
        yield f"postgresql+psycopg://ft@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def spec(tmp_path: Path, launch_id: str) -> JobSpec:
    data = tmp_path / "train.jsonl"
    data.write_text("{}\n")
    return JobSpec(launch_id=launch_id, backend="openai", base_model="gpt-4.1-mini",
                   training_file=DataFile(path=data, sha256="0" * 64), channel="C1")


def test_replicas_claim_each_launch_transition_and_notification_once(
        postgres_url: str, tmp_path: Path) -> None:
    replicas = [JobStore(open_engine(postgres_url)) for _ in range(3)]
    results: list[bool] = []

    def claim(store: JobStore) -> None:
        results.append(store.claim(spec(tmp_path, "pg-launch-0001"))[1])

    threads = [threading.Thread(target=claim, args=(replicas[i % 3],)) for i in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 8 + [True]
    job = replicas[0].by_launch_id("pg-launch-0001")
    assert job is not None and job.status is JobStatus.PENDING
    moved = [r.transition(job.id, JobStatus.RUNNING, message="running") for r in replicas]
    assert moved.count(True) == 1
    assert [r.claim_notification(job.id, "progress") for r in replicas].count(True) == 1
    assert replicas[1].transition(job.id, JobStatus.SUCCEEDED, message="done",
                                  outcome=Outcome(model="ft:x", trained_tokens=7))
    assert not replicas[2].transition(job.id, JobStatus.FAILED, message="late")  # terminal
    final = replicas[2].get(job.id)
    assert final is not None and final.status is JobStatus.SUCCEEDED
    assert final.outcome == Outcome(model="ft:x", trained_tokens=7)
    assert [k for k, _ in replicas[0].events(job.id)] == ["status:running", "status:succeeded"]
    replicas[0].audit("U1", "launch", job.id, True, "ok")
    assert replicas[1].audit_entries()[0].actor == "U1"
    assert replicas[0].claim_age_s(job.id, "progress") >= 0


def test_checklists_round_trip(postgres_url: str) -> None:
    store = ChecklistStore(open_engine(postgres_url))
    result = ChecklistResult(answers=ChecklistAnswers(use_case="labels"), items=[])
    store.save(result)
    loaded = store.get(result.id)
    assert loaded is not None and loaded.answers.use_case == "labels"
    assert store.recent(limit=1)[0].id == result.id
