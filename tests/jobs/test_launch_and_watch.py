"""The launch gate, the job store and the watcher with Slack notifications: one job
per launch however often it is clicked, refusals audited with zero backend calls,
every transition recorded once, each notification delivered once — also after a
crash — and nothing said in a message can launch anything."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.checklist.answers import ChecklistAnswers
from bot.checklist.result import ChecklistResult
from bot.checklist.run import Requester
from bot.checklist.service import ChecklistService
from bot.checklist.store import ChecklistStore
from bot.config import Settings
from bot.db import database_url, open_engine
from bot.errors import InputError
from bot.evaluation import ExactMatch, bar_chart_png, compare
from bot.evaluation.comparison import Comparison
from bot.jobs.after_training import AfterTraining
from bot.jobs.backend import JobStatus
from bot.jobs.launch import Launcher, LaunchRefused, LaunchRequest, parse_launchers
from bot.jobs.slack_notifier import SlackNotifier
from bot.jobs.store import Job, JobStore
from bot.jobs.watcher import Watcher
from bot.slack.app import build_web_client
from bot.wiring import Services
from tests.checklist.test_run import PASSING
from tests.conftest import TODAY
from tests.jobs.fakes import SUCCESS_SCRIPT, ScriptedBackend
from tests.stubs.slack_api_stub import SlackStub, slack_api_stub

TOKEN = "xoxb-jobs-test"


class Rig:
    def __init__(self, tmp_path: Path, services: Services, stub: SlackStub) -> None:
        self.settings = Settings(
            FT_DATA_DIR=tmp_path / "data",
            FT_TODAY=TODAY,
            FT_BUDGET=50,
            FT_LORA_RUNNER="ray",
            RAY_ADDRESS="ray://127.0.0.1:1",
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_API_URL=stub.base_url,
        )
        self.engine = open_engine(database_url(None, self.settings.data_dir))
        self.checklists = ChecklistStore(self.engine)
        self.service = ChecklistService(self.settings, services.goal_of, self.checklists)
        self.jobs = JobStore(self.engine)
        self.backend = ScriptedBackend(script=list(SUCCESS_SCRIPT))
        self.stub = stub
        self.launcher = self.make_launcher("U_ADMIN S_MLTEAM")

    def make_launcher(self, launchers: str, budget: float | None = 50) -> Launcher:
        return Launcher(
            checklists=self.checklists,
            jobs=self.jobs,
            pricing=self.service.pricing,
            backend_for=lambda _: self.backend,
            launchers=parse_launchers(launchers),
            budget=budget,
            in_group=lambda group, user: (group, user) == ("S_MLTEAM", "U_ML"),
        )

    def checklist(self, dataset: Path, **changes: Any) -> ChecklistResult:
        answers = ChecklistAnswers.model_validate({**PASSING, **changes})
        return self.service.check(answers, dataset, Requester("U_ADMIN", "C9", "100.1"))

    def watcher(self) -> Watcher:
        notifier = SlackNotifier(build_web_client(self.settings), self.jobs)
        return Watcher(self.jobs, lambda _: self.backend, notifier, interval_s=0)


@pytest.fixture
def rig(tmp_path: Path, services: Services) -> Iterator[Rig]:
    with slack_api_stub(bot_token=TOKEN) as stub:
        stub.remember_posts = True
        yield Rig(tmp_path, services, stub)


def request(
    result: ChecklistResult, user: str = "U_ADMIN", confirmed: bool = True
) -> LaunchRequest:
    return LaunchRequest(checklist_id=result.id, user=user, confirmed=confirmed)


def test_double_clicks_and_concurrent_launches_make_one_job(
    rig: Rig, write_dataset: Callable[..., Path]
) -> None:
    result = rig.checklist(write_dataset(700))
    outcomes: list[tuple[str, bool]] = []

    def click() -> None:
        job, created = rig.launcher.launch(request(result))
        outcomes.append((job.id, created))

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({job_id for job_id, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    assert len(rig.backend.created) == 1 and rig.backend.calls.count("submit") == 1
    job = rig.jobs.get(outcomes[0][0])
    assert job is not None and job.external_id == "ext-1"
    assert job.spec.training_file.sha256 == result.dataset.train_sha256  # type: ignore[union-attr]
    assert job.spec.requested_by == "U_ADMIN" and job.spec.thread_ts == "100.1"


@pytest.mark.parametrize(
    ("user", "launchers"),
    [
        ("U_INTRUDER", "U_ADMIN S_MLTEAM"),
        ("U_ADMIN", ""),
        ("U_OTHER", "S_OTHERGROUP"),
    ],
)
def test_unauthorised_users_are_refused_audited_and_nothing_is_called(
    rig: Rig, write_dataset: Callable[..., Path], user: str, launchers: str
) -> None:
    result = rig.checklist(write_dataset(700))
    with pytest.raises(LaunchRefused, match="not authorised"):
        rig.make_launcher(launchers).launch(request(result, user=user))
    assert rig.backend.calls == [] and rig.jobs.recent() == []
    entry = rig.jobs.audit_entries()[0]
    assert (entry.actor, entry.allowed, entry.action) == (user, False, "launch")


def test_a_group_member_may_launch(rig: Rig, write_dataset: Callable[..., Path]) -> None:
    result = rig.checklist(write_dataset(700))
    job, created = rig.launcher.launch(request(result, user="U_ML"))
    assert created and job.spec.requested_by == "U_ML"


@pytest.mark.parametrize("gate", ["failed", "changed", "budget", "unconfirmed"])
def test_the_gate_refuses_without_evidence(
    rig: Rig, write_dataset: Callable[..., Path], gate: str
) -> None:
    dataset = write_dataset(700 if gate != "failed" else 200)
    result = rig.checklist(dataset)
    launcher, confirmed = rig.launcher, True
    if gate == "changed":
        assert result.dataset is not None
        Path(result.dataset.train_file).write_text("{}\n", encoding="utf-8")
    elif gate == "budget":
        launcher = rig.make_launcher("U_ADMIN", budget=0.01)
    elif gate == "unconfirmed":
        confirmed = False
    with pytest.raises(LaunchRefused) as refused:
        launcher.launch(request(result, confirmed=confirmed))
    expected = {
        "failed": "did not pass",
        "changed": "changed or disappeared",
        "budget": "the budget is 0.01",
        "unconfirmed": "not confirmed",
    }[gate]
    assert expected in str(refused.value)
    assert rig.backend.calls == [] and rig.jobs.recent() == []
    assert rig.jobs.audit_entries()[0].allowed is False


def test_a_backend_refusal_fails_the_job_with_the_reason(
    rig: Rig, write_dataset: Callable[..., Path]
) -> None:
    rig.backend.refuse = "this organisation is not eligible for fine-tuning"
    job, _ = rig.launcher.launch(request(rig.checklist(write_dataset(700))))
    assert job.status is JobStatus.FAILED and "not eligible" in (job.error or "")


def test_the_watcher_records_each_transition_once_and_notifies_once(
    rig: Rig, write_dataset: Callable[..., Path]
) -> None:
    job, _ = rig.launcher.launch(request(rig.checklist(write_dataset(700))))
    watcher = rig.watcher()
    changes = [watcher.poll_once(force=True) for _ in range(8)]
    assert changes[3] == 0  # an unchanged poll changes nothing ...
    done = rig.jobs.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    statuses = [key for key, _ in rig.jobs.events(job.id) if key.startswith("status:")]
    assert statuses == [
        "status:validating_files",
        "status:queued",
        "status:running",
        "status:succeeded",
    ]
    posts = rig.stub.calls("chat.postMessage")
    assert len(posts) == 2  # the progress message, then the terminal message
    assert "succeeded" in posts[1].params["text"] and "123,456" in posts[1].params["text"]
    assert all(p.params["thread_ts"] == "100.1" for p in posts)
    updates = rig.stub.calls("chat.update")
    # ... and costs no Slack call: one update per real change only.
    assert 3 <= len(updates) <= 5
    assert "step 20/30" in " ".join(u.params["text"] for u in updates)
    assert watcher.poll_once(force=True) == 0 and rig.jobs.active() == []


def test_a_crash_after_the_backend_accepted_adopts_the_job_and_notifies_once(
    rig: Rig, write_dataset: Callable[..., Path]
) -> None:
    result = rig.checklist(write_dataset(700))
    # The first process claimed the launch, the backend created the job and the
    # progress message reached Slack; then the process died before saving the
    # external id and before confirming the post.
    spec = rig.launcher._spec(result, request(result))
    job, _ = rig.jobs.claim(spec)
    rig.backend.submit(spec)
    assert rig.jobs.claim_notification(job.id, "progress")
    posted = rig.stub
    build_web_client(rig.settings).chat_postMessage(
        channel="C9",
        thread_ts="100.1",
        text="progress",
        metadata={
            "event_type": "ft_job_notification",
            "event_payload": {"job_id": job.id, "key": "progress"},
        },
    )
    # A fresh process: new watcher, same store.
    watcher = rig.watcher()
    for _ in range(8):
        watcher.poll_once(force=True)
    assert len(rig.backend.created) == 1  # adopted, not duplicated
    done = rig.jobs.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert done.external_id == "ext-1"
    posts = posted.calls("chat.postMessage")
    assert len(posts) == 2  # the pre-crash progress post + the terminal post
    assert rig.jobs.notification(job.id, "progress")[1] == posts[0].response["ts"]


def test_cancel_is_recorded_with_who(rig: Rig, write_dataset: Callable[..., Path]) -> None:
    job, _ = rig.launcher.launch(request(rig.checklist(write_dataset(700))))
    rig.jobs.mark_cancel(job.id, "U_ADMIN")
    stored = rig.jobs.get(job.id)
    assert stored is not None and stored.external_id is not None
    rig.backend.cancel(stored.external_id)
    rig.watcher().poll_once(force=True)
    final = rig.jobs.get(job.id)
    assert final is not None and final.status is JobStatus.CANCELLED
    text = rig.stub.calls("chat.postMessage")[-1].params["text"]
    assert "cancelled by <@U_ADMIN>" in text


def comparison_of(job: Job) -> Comparison:
    references = ["billing", "refunds", "login", "bug"] * 10
    tuned = list(references)
    baseline = ["other"] * 20 + references[20:]
    return compare(baseline, tuned, references, ExactMatch(),
                   baseline_name=job.spec.base_model, tuned_name="tuned adapter")


def test_a_succeeded_job_is_evaluated_and_the_comparison_posted_once(
        rig: Rig, write_dataset: Callable[..., Path], tmp_path: Path) -> None:
    job, _ = rig.launcher.launch(request(rig.checklist(write_dataset(700))))
    client = build_web_client(rig.settings)
    after = AfterTraining(client, rig.jobs, comparison_of, bar_chart_png, tmp_path / "charts")
    watcher = Watcher(rig.jobs, lambda _: rig.backend, SlackNotifier(client, rig.jobs),
                      interval_s=0, on_finished=after)
    for _ in range(8):
        watcher.poll_once(force=True)
    done = rig.jobs.get(job.id)
    assert done is not None
    after(done)  # a second trigger (another replica, a restart) posts nothing more
    after.close()
    posts = [p.params["text"] for p in rig.stub.calls("chat.postMessage")]
    evaluations = [t for t in posts if "tuned adapter" in t]
    assert len(evaluations) == 1 and "beat the prompted baseline" in evaluations[0]
    assert rig.jobs.notification(job.id, "evaluation")[1] is not None
    assert len(rig.stub.uploads) == 1
    assert next(iter(rig.stub.uploads.values())).find(b"\x89PNG") >= 0


def test_an_evaluation_failure_is_reported_in_plain_words(
        rig: Rig, write_dataset: Callable[..., Path], tmp_path: Path) -> None:
    job, _ = rig.launcher.launch(request(rig.checklist(write_dataset(700))))

    def broken(_: Job) -> Comparison:
        raise InputError("Job x's adapter is not on this machine")

    after = AfterTraining(build_web_client(rig.settings), rig.jobs, broken, bar_chart_png,
                          tmp_path)
    watcher = Watcher(rig.jobs, lambda _: rig.backend, None, interval_s=0, on_finished=after)
    for _ in range(8):
        watcher.poll_once(force=True)
    after.close()
    text = rig.stub.calls("chat.postMessage")[-1].params["text"]
    assert "could not evaluate" in text and "not on this machine" in text
    assert f"ft-advisor eval --compare {job.id}" in text
