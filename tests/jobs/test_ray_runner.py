"""RayRunner against a real single-node Ray cluster on loopback: submit the tiny LoRA job
through the Jobs API, poll it to the end, and adopt it on a repeated submit.

The cluster is `ray start --head --block` in a session of its own; teardown SIGKILLs the
processes of that session (what `ray stop --force` does, but to this cluster only, so
another Ray on the machine is left alone). Ray's job drivers run in sessions of their own
and are killed by Ray's own watchdog once their supervisor is gone."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs.backend import TERMINAL, BackendEvent, JobStatus
from tests.jobs.test_lora import OFFLINE, Workspace, make_workspace

pytestmark = pytest.mark.slow

# Single-node Ray on Linux would advertise the machine's network address; this keeps
# every Ray process on 127.0.0.1.
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def session_pids(sid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[3] == str(sid):
            pids.append(int(stat.parent.name))
    return pids


@pytest.fixture(scope="module")
def dashboard() -> Iterator[str]:
    """The Jobs API address of a fresh one-CPU Ray head."""
    pytest.importorskip("ray.job_submission", reason="ray[default] is not installed")
    ray = Path(sys.executable).with_name("ray")
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Unix socket paths
    dashboard_port = free_port()
    command = [
        str(ray),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={free_port()}",
        "--include-dashboard=true",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard_port}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--ray-client-server-port={free_port()}",
        "--num-cpus=1",
        "--disable-usage-stats",
        f"--temp-dir={temp_dir}",
    ]
    with Path(temp_dir, "start.log").open("wb") as log:
        head = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **RAY_ENV},
            start_new_session=True,
        )
    address = f"http://127.0.0.1:{dashboard_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{address}/api/version", timeout=2):
                    break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Ray did not start:\n" + Path(temp_dir, "start.log").read_text())
                time.sleep(0.5)
        yield address
    finally:
        for pid in session_pids(head.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        head.wait(timeout=30)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("ray-lora"))


def test_ray_job_runs_to_success_and_a_repeat_submit_adopts_it(
    dashboard: str, workspace: Workspace, tmp_path: Path
) -> None:
    from bot.finetune.runners import RayRunner

    runner = RayRunner(
        dashboard, tmp_path / "jobs", python=sys.executable, upload_data=True, env_vars=OFFLINE
    )
    spec = workspace.spec("ray-e2e-0001", max_steps=3, eval_steps=3)
    assert runner.find(spec.launch_id) is None
    external_id = runner.submit(spec)
    assert runner.submit(spec) == external_id  # Ray refuses a second job with this id
    assert RayRunner(dashboard, tmp_path / "jobs").find(spec.launch_id) == external_id

    events: list[BackendEvent] = []
    cursor = None
    deadline = time.monotonic() + 150
    while True:
        snapshot = runner.poll(external_id, cursor)
        cursor, events = snapshot.cursor, events + snapshot.events
        if snapshot.status in TERMINAL:
            break
        assert time.monotonic() < deadline, f"timed out; last snapshot {snapshot}"
        time.sleep(0.5)

    assert snapshot.status is JobStatus.SUCCEEDED, snapshot.error
    assert snapshot.outcome is not None and snapshot.outcome.model
    adapter = Path(snapshot.outcome.model)
    assert adapter == tmp_path / "jobs" / "ray-e2e-0001" / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    assert snapshot.progress is not None and snapshot.progress.step == 3
    messages = [e.message for e in events]
    assert messages[0].startswith("Training started: 3 steps")
    assert messages[-1].startswith("Training finished:")
    assert len({e.id for e in events}) == len(events)


def test_ray_cancel_stops_the_job(dashboard: str, workspace: Workspace, tmp_path: Path) -> None:
    from bot.finetune.runners import RayRunner

    runner = RayRunner(dashboard, tmp_path / "jobs", python=sys.executable, env_vars=OFFLINE)
    external_id = runner.submit(workspace.spec("ray-cancel-01", max_steps=100_000))
    deadline = time.monotonic() + 120
    while True:
        snapshot = runner.poll(external_id)
        if any("started" in e.message for e in snapshot.events):
            break
        assert snapshot.status not in TERMINAL, snapshot.error
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.5)

    runner.cancel(external_id)

    snapshot = runner.poll(external_id)
    assert snapshot.status is JobStatus.CANCELLED
    assert snapshot.outcome is None and snapshot.error is None
