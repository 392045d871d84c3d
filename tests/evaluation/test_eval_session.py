"""Baseline runs and job comparisons end to end: `ft-advisor eval` as a subprocess and
`compare_job` on a finished job, through the real SDK against the chat stub."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.checklist.run import file_sha256
from bot.config import Settings
from bot.db import database_url, open_engine
from bot.errors import InputError
from bot.evaluation.session import compare_job
from bot.evaluation.store import BaselineStore
from bot.jobs.backend import JobStatus, Outcome
from bot.jobs.spec import DataFile, JobSpec
from bot.jobs.store import JobStore
from tests.conftest import QUEUES
from tests.stubs.openai_stub import completion, openai_stub
from tests.test_cli import run


def labeller(correct_every: dict[str, int]) -> Callable[[dict[str, Any]], Any]:
    """Replies with the right queue for every n-th ticket of each model, else a miss."""
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = body["messages"][-1]["content"]
        number = int(text.split("#")[1].split(":")[0])
        queue = next(q for q in QUEUES if f"about {q} issue" in text)
        every = correct_every[body["model"]]
        return 200, completion(queue if number % every == 0 else "unsure", body["model"])
    return reply


def test_baseline_run_from_the_command_line(tmp_path: Path,
                                            write_dataset: Callable[..., Path]) -> None:
    held = write_dataset(60, name="held.jsonl")
    with openai_stub(labeller({"gpt-4.1-mini": 2})) as stub:
        result = run(["eval", "--dataset", str(held), "--model", "gpt-4.1-mini", "--yes",
                      "--json"], tmp_path, extra_env={"OPENAI_BASE_URL": stub.base_url,
                                                      "OPENAI_API_KEY": "sk-test"})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["evaluator"] == "exact_match" and report["examples"] == 60
    assert report["score"] == pytest.approx(0.5, abs=0.02)
    assert b"prompts" in result.stderr  # the cost estimate came first
    assert len(stub.requests) == 60
    recorded = BaselineStore(open_engine(database_url(None, tmp_path))).latest_for(
        file_sha256(held))
    assert recorded is not None and recorded.id == report["baseline_id"]
    assert (recorded.model, recorded.evaluator, recorded.examples) == \
        ("gpt-4.1-mini", "exact_match", 60)
    assert recorded.score == pytest.approx(report["score"], abs=1e-4)
    assert recorded.failures == report["failures"]
    assert (recorded.requested_by or "").startswith("local:")


def test_a_job_is_compared_with_its_base_model(tmp_path: Path,
                                               write_dataset: Callable[..., Path]) -> None:
    held = write_dataset(80, name="held.jsonl")
    store = JobStore(open_engine(database_url(None, tmp_path)))
    spec = JobSpec(launch_id="checklist-1", backend="openai",
                   base_model="gpt-4.1-mini-2025-04-14",
                   training_file=DataFile(path=held, sha256="0" * 64),
                   validation_file=DataFile(path=held, sha256="0" * 64))
    job, _ = store.claim(spec)
    tuned = "ft:gpt-4.1-mini-2025-04-14:org::abc"
    with openai_stub(labeller({spec.base_model: 4, tuned: 1})) as stub:
        settings = Settings(FT_DATA_DIR=tmp_path, OPENAI_BASE_URL=stub.base_url,
                            OPENAI_API_KEY="sk-test")
        with pytest.raises(InputError, match="no tuned model"):
            compare_job(settings, job)
        store.transition(job.id, JobStatus.SUCCEEDED, message="done",
                         outcome=Outcome(model=tuned, trained_tokens=10))
        finished = store.get(job.id)
        assert finished is not None
        comparison = compare_job(settings, finished)
    assert comparison.baseline.score == pytest.approx(0.25, abs=0.03)
    assert comparison.tuned.score == 1.0 and comparison.verdict == "better"
    assert "did not beat" not in comparison.render_text()
    assert {r["model"] for r in stub.requests} == {spec.base_model, tuned}
