"""The OpenAI backend against a local stub of the fine-tuning API, through the real
openai SDK: one job per launch id whatever fails, and faithful status reporting."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openai
import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.jobs.backend import TERMINAL, BackendRefused, JobStatus, Snapshot
from bot.jobs.openai_backend import OpenAIBackend
from bot.jobs.spec import DataFile, JobSpec, OpenAIHyperparameters
from tests.stubs.openai_ft_stub import (
    FINAL_VALID_LOSS,
    TOTAL_STEPS,
    FineTuningStub,
    fine_tuning_stub,
)

TODAY = date(2026, 11, 28)
LAUNCH = "launch-0001"
TIMEOUT_S = 1.0  # generous for a loaded CI; the hanging create is cut short at teardown


@pytest.fixture
def stub() -> Iterator[FineTuningStub]:
    with fine_tuning_stub() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_backend(
    stub: FineTuningStub, sleeps: list[float], today: date = TODAY, poll_page: int = 100
) -> OpenAIBackend:
    client = openai.OpenAI(
        api_key="sk-test", base_url=stub.base_url, timeout=TIMEOUT_S, max_retries=1
    )
    return OpenAIBackend(client, lambda: today, poll_page, backoff_s=0.5, sleep=sleeps.append)


def data_file(path: Path, text: str) -> DataFile:
    path.write_text(text)
    return DataFile(path=path, sha256=hashlib.sha256(text.encode()).hexdigest())


@pytest.fixture
def spec(tmp_path: Path) -> JobSpec:
    return JobSpec(
        launch_id=LAUNCH,
        backend="openai",
        base_model="gpt-4o-mini-2024-07-18",
        training_file=data_file(tmp_path / "train.jsonl", '{"messages": []}\n' * 3),
        validation_file=data_file(tmp_path / "valid.jsonl", '{"messages": []}\n'),
        openai=OpenAIHyperparameters(n_epochs=3, suffix="support-tone"),
    )


def test_happy_path_walks_every_status(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.walk = ["validating_files", "queued", "running", "running", "succeeded"]
    backend = make_backend(stub, sleeps, poll_page=2)  # small pages: events paginate

    job_id = backend.submit(spec)

    assert list(stub.jobs) == [job_id]
    body = stub.create_bodies[0]
    assert body["metadata"] == {"launch_id": LAUNCH}
    assert body["suffix"] == "support-tone"
    assert body["method"] == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {
                "n_epochs": 3,
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
            }
        },
    }
    assert "hyperparameters" not in body  # the deprecated top-level form
    assert spec.validation_file is not None
    uploads = {stub.files[f]["filename"]: stub.uploads[f] for f in stub.files}
    assert uploads == {
        "train.jsonl": spec.training_file.path.read_bytes(),
        "valid.jsonl": spec.validation_file.path.read_bytes(),
    }
    assert {body["training_file"], body["validation_file"]} == set(stub.files)

    snapshots: list[Snapshot] = []
    cursor = None
    for _ in range(len(stub.walk) + 1):  # and once more after success
        snapshots.append(backend.poll(job_id, cursor))
        cursor = snapshots[-1].cursor

    assert [s.status for s in snapshots] == [
        JobStatus.VALIDATING,
        JobStatus.QUEUED,
        JobStatus.RUNNING,
        JobStatus.RUNNING,
        JobStatus.SUCCEEDED,
        JobStatus.SUCCEEDED,
    ]
    seen = [event for s in snapshots for event in s.events]
    expected = [e for e in stub.events[job_id] if e["type"] == "message"]
    assert [(e.id, e.message) for e in seen] == [(e["id"], e["message"]) for e in expected]
    assert snapshots[-1].events == [] and snapshots[-1].cursor == snapshots[-2].cursor
    first_step, second_step = snapshots[2].progress, snapshots[3].progress
    assert first_step is not None and second_step is not None
    assert (first_step.step, first_step.total_steps, first_step.loss) == (1, TOTAL_STEPS, 2.0)
    assert first_step.eval_loss == pytest.approx(2.1)
    assert first_step.epoch == pytest.approx(3 / TOTAL_STEPS)
    assert second_step.step == 2
    for done in snapshots[-2:]:  # also when an earlier poll consumed the metrics
        assert done.outcome is not None and done.error is None
        assert done.outcome.model == stub.jobs[job_id]["fine_tuned_model"]
        assert done.outcome.trained_tokens == 12345
        assert done.outcome.final_eval_loss == FINAL_VALID_LOSS
    assert len(stub.jobs) == 1


def test_dpo_sends_the_dpo_method(stub: FineTuningStub, sleeps: list[float], spec: JobSpec) -> None:
    spec.openai = OpenAIHyperparameters(method="dpo", beta=0.1, batch_size=8)
    make_backend(stub, sleeps).submit(spec)
    assert stub.create_bodies[0]["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "n_epochs": "auto",
                "batch_size": 8,
                "learning_rate_multiplier": "auto",
                "beta": 0.1,
            }
        },
    }
    assert "suffix" not in stub.create_bodies[0]
    assert len(stub.jobs) == 1


def test_timeout_after_a_committed_create_adopts_the_job(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.hang_next_create_s = 10 * TIMEOUT_S
    job_id = make_backend(stub, sleeps).submit(spec)
    assert list(stub.jobs) == [job_id]
    assert len(stub.create_bodies) == 1  # the SDK did not retry the create
    assert sleeps == [0.5]


def test_server_errors_then_success_create_one_job(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.fail_creates(500, times=2)
    job_id = make_backend(stub, sleeps).submit(spec)
    assert list(stub.jobs) == [job_id]
    assert len(stub.create_bodies) == 3
    assert sleeps == [0.5, 1.0]


def test_server_error_after_a_commit_adopts_the_job(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.fail_creates(502, commit=True)
    job_id = make_backend(stub, sleeps).submit(spec)
    assert list(stub.jobs) == [job_id]
    assert len(stub.create_bodies) == 1


def test_rate_limit_honours_retry_after(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.fail_creates(
        429,
        headers={"Retry-After": "7"},
        type="requests",
        message="Rate limit reached for fine-tuning jobs.",
    )
    job_id = make_backend(stub, sleeps).submit(spec)
    assert list(stub.jobs) == [job_id]
    assert len(stub.create_bodies) == 2
    assert sleeps == [7.0]


def test_retry_after_longer_than_we_wait_gives_up_without_a_job(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.fail_creates(429, headers={"Retry-After": "3600"})
    with pytest.raises(openai.RateLimitError):
        make_backend(stub, sleeps).submit(spec)
    assert len(stub.jobs) == 0
    assert len(stub.create_bodies) == 1 and sleeps == []


def test_persistent_outage_gives_up_after_bounded_attempts(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.fail_creates(503, times=10)
    with pytest.raises(openai.InternalServerError):
        make_backend(stub, sleeps).submit(spec)
    assert len(stub.jobs) == 0
    assert len(stub.create_bodies) == 4
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_job_created_before_a_crash_is_adopted(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.seed_job("launch-other")
    ours = stub.seed_job(LAUNCH)
    assert make_backend(stub, sleeps).submit(spec) == ours
    assert stub.create_bodies == [] and stub.files == {}
    assert len(stub.jobs) == 2


@pytest.mark.parametrize("status", [400, 403])
def test_ineligible_organisation_is_refused_in_plain_words(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec, status: int
) -> None:
    message = "Fine-tuning is not available for your organization."
    stub.refuse_creates(status, message, code="fine_tuning_not_available")
    with pytest.raises(BackendRefused) as refused:
        make_backend(stub, sleeps).submit(spec)
    assert str(refused.value) == (
        "OpenAI refused the job: Fine-tuning is not available for your organization "
        "(code fine_tuning_not_available)."
    )
    assert len(stub.jobs) == 0
    assert len(stub.create_bodies) == 1 and sleeps == []


@pytest.mark.parametrize("today", [date(2027, 1, 6), date(2027, 3, 1)])
def test_no_new_jobs_from_6_january_2027(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec, today: date
) -> None:
    with pytest.raises(BackendRefused, match="since 6 January 2027") as refused:
        make_backend(stub, sleeps, today=today).submit(spec)
    assert "LoRA" in str(refused.value)
    assert stub.requests == []
    assert len(stub.jobs) == 0


def test_the_day_before_closing_still_submits(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    make_backend(stub, sleeps, today=date(2027, 1, 5)).submit(spec)
    assert len(stub.jobs) == 1


def test_changed_training_file_is_refused_before_upload(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    spec.training_file.path.write_text('{"messages": ["edited"]}\n')
    with pytest.raises(BackendRefused, match=r"train\.jsonl changed"):
        make_backend(stub, sleeps).submit(spec)
    assert stub.files == {}
    assert len(stub.jobs) == 0


def test_unknown_status_keeps_polling(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec, caplog: pytest.LogCaptureFixture
) -> None:
    stub.walk = ["queued", "paused_for_review"]
    backend = make_backend(stub, sleeps)
    job_id = backend.submit(spec)
    backend.poll(job_id)
    with caplog.at_level(logging.WARNING, logger="bot.jobs.openai_backend"):
        snapshot = backend.poll(job_id)
    assert snapshot.status is JobStatus.RUNNING and snapshot.status not in TERMINAL
    assert "paused_for_review" in caplog.text
    assert len(stub.jobs) == 1


def test_failed_job_reports_the_error(
    stub: FineTuningStub, sleeps: list[float], spec: JobSpec
) -> None:
    stub.walk = ["running", "failed"]
    backend = make_backend(stub, sleeps)
    job_id = backend.submit(spec)
    backend.poll(job_id)
    snapshot = backend.poll(job_id)
    assert snapshot.status is JobStatus.FAILED and snapshot.outcome is None
    assert snapshot.error == (
        "The job failed due to an invalid training file (code invalid_training_file)."
    )
    assert snapshot.events[-1].level == "error"
    assert len(stub.jobs) == 1


def test_cancel(stub: FineTuningStub, sleeps: list[float], spec: JobSpec) -> None:
    stub.walk = ["queued", "running"]
    backend = make_backend(stub, sleeps)
    job_id = backend.submit(spec)
    backend.cancel(job_id)
    snapshot = backend.poll(job_id)
    assert snapshot.status is JobStatus.CANCELLED
    assert snapshot.events[-1].message == "Fine-tuning job cancelled"
    with pytest.raises(BackendRefused, match="would not cancel"):
        backend.cancel(job_id)
    assert len(stub.jobs) == 1


def test_from_settings_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIBackend.from_settings(Settings(_env_file=None))


def test_from_settings_honours_the_base_url(stub: FineTuningStub, spec: JobSpec) -> None:
    settings = Settings(
        _env_file=None, OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=stub.base_url, FT_TODAY=TODAY
    )
    backend = OpenAIBackend.from_settings(settings)
    assert backend.find(LAUNCH) is None
    assert stub.requests == [("GET", "/fine_tuning/jobs")]
    assert len(stub.jobs) == 0
