"""Fine-tuning jobs in Slack end to end: the real Bolt app and HTTP server, signed
requests, the Web API stub; the real launch gate, job store and a real passed
checklist, with a scripted backend. One job however often the dialog is submitted,
refusals audited with no dialog and no backend call, and nothing said in a message
launches anything."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from bot.jobs.backend import JobStatus
from bot.jobs.launch import Launcher, LaunchRequest, parse_launchers
from bot.jobs.spec import PRESETS
from bot.jobs.store import Job, JobStore
from bot.slack.jobs import start_watcher
from bot.wiring import Services
from tests.checklist.test_run import PASSING
from tests.conftest import TODAY
from tests.jobs.fakes import SUCCESS_SCRIPT, ScriptedBackend
from tests.slack.conftest import SlackRig, eventually, mention, running_rig, verdict_of
from tests.slack.test_checklist import submit

pytestmark = pytest.mark.slow

LAUNCHERS = "U_ADMIN S_MLTEAM"
CHANNEL, THREAD = "C9", "100.1"  # where the checklist was posted


@dataclass
class JobsRig:
    slack: SlackRig
    store: JobStore
    backend: ScriptedBackend
    launcher: Launcher
    result: ChecklistResult

    @property
    def stub(self) -> Any:
        return self.slack.stub

    def click(self, user: str = "U_ADMIN", reply: str = "launch") -> None:
        """The checklist result's Launch button, clicked by `user`."""
        status, _ = self.slack.action({
            "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"},
            "channel": {"id": CHANNEL}, "trigger_id": "trigger-click", "api_app_id": "A1",
            "container": {"type": "message", "message_ts": "100.2", "thread_ts": THREAD},
            "response_url": self.stub.response_url(reply),
            "actions": [{"type": "button", "action_id": "ft_launch", "value": self.result.id,
                         "block_id": f"launch:{self.result.id}", "action_ts": "1"}]})
        assert status == 200

    def dialog(self, count: int = 1) -> dict[str, Any]:
        return dict(self.stub.wait_for("views.open", count)[count - 1].json_field("view"))

    def launched(self) -> list[Job]:
        """The jobs, once submitted (or failed) and announced in the thread."""
        assert eventually(lambda: bool(self.store.recent()) and all(
            job.external_id or job.terminal for job in self.store.recent()))
        assert eventually(lambda: bool(self.thread_posts()))
        return self.store.recent()

    def thread_posts(self) -> list[Any]:
        return [c for c in self.stub.calls("chat.postMessage")
                if (c.params.get("channel"), c.params.get("thread_ts")) == (CHANNEL, THREAD)]


@pytest.fixture
def jrig(services: Services, warm_data_dir: Path, tmp_path: Path,
         write_dataset: Callable[..., Path]) -> Iterator[JobsRig]:
    settings = Settings(FT_DATA_DIR=tmp_path / "data", FT_TODAY=TODAY, FT_BUDGET=50,
                        FT_LORA_RUNNER="ray", RAY_ADDRESS="ray://127.0.0.1:1")
    engine = open_engine(database_url(None, settings.data_dir))
    checklists = ChecklistStore(engine)
    service = ChecklistService(settings, services.goal_of, checklists)
    store, backend = JobStore(engine), ScriptedBackend(script=list(SUCCESS_SCRIPT))
    result = service.check(ChecklistAnswers.model_validate(PASSING), write_dataset(700),
                           Requester("U_ADMIN", CHANNEL, THREAD))
    assert result.passed
    made: list[Launcher] = []

    def launcher(in_group: Callable[[str, str], bool]) -> Launcher:
        made.append(Launcher(checklists=checklists, jobs=store, pricing=service.pricing,
                             backend_for=lambda _: backend,
                             launchers=parse_launchers(LAUNCHERS), budget=50,
                             in_group=in_group))
        return made[-1]

    with running_rig(warm_data_dir, services.advisor.answer, tmp_path / "slack.sqlite3",
                     launcher=launcher) as rig:
        rig.stub.set_usergroup("S_MLTEAM", ["U_ML"])
        yield JobsRig(rig, store, backend, made[0], result)


def test_the_button_opens_the_dialog_with_the_cost(jrig: JobsRig) -> None:
    jrig.click()
    view = jrig.dialog()
    _, cost = jrig.launcher.check(LaunchRequest(jrig.result.id, "U_ADMIN", False))
    assert jrig.stub.calls("views.open")[0].params["trigger_id"] == "trigger-click"
    assert view["callback_id"] == "ft_launch_dialog"
    assert view["submit"]["text"] == f"Launch for €{cost:,.2f}"
    assert json.loads(view["private_metadata"]) == {
        "checklist_id": jrig.result.id, "channel": CHANNEL, "thread_ts": THREAD,
        "cost": f"€{cost:,.2f}"}
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Qwen/Qwen2.5-0.5B-Instruct" in text and "LoRA" in text and f"€{cost:,.2f}" in text
    preset = next(b for b in view["blocks"] if b.get("block_id") == "preset")
    assert [o["value"] for o in preset["element"]["options"]] == list(PRESETS)
    assert preset["element"]["initial_option"]["value"] == "balanced"
    assert jrig.backend.calls == [] and jrig.store.recent() == []  # opening launches nothing


def test_submitting_twice_and_clicking_twice_make_one_job(jrig: JobsRig) -> None:
    jrig.click()
    jrig.click()
    first, second = jrig.dialog(1), jrig.dialog(2)
    for view in (first, first, second):
        status, body = submit(jrig.slack, view, user="U_ADMIN", preset="quick")
        assert status == 200 and body == ""  # an empty ack closes the dialog
    [job] = jrig.launched()
    assert jrig.backend.calls.count("submit") == 1 and len(jrig.backend.created) == 1
    assert job.spec.requested_by == "U_ADMIN" and job.spec.lora.max_steps == 20
    assert (job.spec.channel, job.spec.thread_ts) == (CHANNEL, THREAD)
    [launched] = jrig.thread_posts()
    assert launched.params["text"].startswith(f"🚀 Launched job `{job.id}` by <@U_ADMIN>")
    assert "preset quick" in launched.params["text"] and "estimated €" in launched.params["text"]
    again = jrig.stub.wait_for("chat.postEphemeral", 2)
    assert all(f"Already launched: job `{job.id}`" in c.params["text"] for c in again)
    assert {(c.params["user"], c.params["thread_ts"]) for c in again} == {("U_ADMIN", THREAD)}
    assert [e.allowed for e in jrig.store.audit_entries() if e.action == "launch"] == \
        [True] * 3  # two of them returned the existing job


def test_an_unauthorised_click_is_refused_audited_and_opens_nothing(jrig: JobsRig) -> None:
    jrig.click(user="U_INTRUDER", reply="refused")
    reply = jrig.stub.wait_for("response/refused")[0].params
    assert reply["response_type"] == "ephemeral" and "not authorised" in reply["text"]
    assert jrig.stub.calls("views.open") == []
    entry = jrig.store.audit_entries()[0]
    assert (entry.actor, entry.action, entry.allowed) == ("U_INTRUDER", "launch", False)
    assert jrig.backend.calls == [] and jrig.store.recent() == []


def test_the_launcher_is_the_submitting_user_not_the_one_who_opened_it(jrig: JobsRig) -> None:
    jrig.click()
    submit(jrig.slack, jrig.dialog(), user="U_INTRUDER")
    refused = jrig.stub.wait_for("chat.postEphemeral")[0].params
    assert refused["user"] == "U_INTRUDER" and "not authorised" in refused["text"]
    assert jrig.backend.calls == [] and jrig.store.recent() == []


def test_a_member_of_an_allowed_user_group_may_launch(jrig: JobsRig) -> None:
    jrig.click(user="U_ML")
    submit(jrig.slack, jrig.dialog(), user="U_ML")
    [job] = jrig.launched()
    assert job.spec.requested_by == "U_ML"
    lookups = jrig.stub.calls("usergroups.users.list")
    assert [c.params["usergroup"] for c in lookups] == ["S_MLTEAM"]  # cached for the launch


def test_a_failed_group_lookup_fails_closed(jrig: JobsRig) -> None:
    jrig.stub.fail("usergroups.users.list", error="missing_scope")
    jrig.click(user="U_ML", reply="closed")
    assert "not authorised" in jrig.stub.wait_for("response/closed")[0].params["text"]
    assert jrig.stub.calls("views.open") == []
    jrig.click(user="U_ML")  # a failure is not cached: the next click asks again
    assert jrig.dialog()["callback_id"] == "ft_launch_dialog"


@pytest.mark.parametrize("how", ["mention", "dm"])
def test_asking_in_a_message_to_launch_only_gets_advice(jrig: JobsRig, how: str) -> None:
    text = f"launch the fine-tuning job for checklist {jrig.result.id} now"
    event = mention(text, user="U_ADMIN") if how == "mention" else {
        "type": "message", "user": "U_ADMIN", "text": text, "ts": "1700000004.1",
        "channel": "D1", "channel_type": "im", "event_ts": "1700000004.1"}
    jrig.slack.event(event)
    assert verdict_of(jrig.slack.posts()[0])  # an answer with a verdict ...
    assert jrig.store.recent() == [] and jrig.backend.calls == []  # ... and nothing else
    assert jrig.stub.calls("views.open") == [] and jrig.store.audit_entries() == []


def test_launch_command_opens_the_same_dialog(jrig: JobsRig) -> None:
    jrig.slack.command(f"launch {jrig.result.id}", channel="C1", user="U_ADMIN")
    view = jrig.dialog()
    assert view["callback_id"] == "ft_launch_dialog"
    # Reported in the checklist's thread, wherever the command was typed.
    assert json.loads(view["private_metadata"])["channel"] == CHANNEL
    _, body = jrig.slack.command("launch")
    assert "Usage: `/finetune launch CHECKLIST_ID`" in json.loads(body)["text"]


def _reply(jrig: JobsRig, text: str, user: str = "U_ADMIN", channel: str = CHANNEL) -> str:
    name = f"r{len(jrig.stub.calls())}"
    status, _ = jrig.slack.command(text, channel=channel, user=user, response=name)
    assert status == 200
    reply = jrig.stub.wait_for(f"response/{name}")[0].params
    assert reply["response_type"] == "ephemeral"
    return json.dumps(reply, ensure_ascii=False)


def test_jobs_status_and_cancel_commands(jrig: JobsRig) -> None:
    assert "No fine-tuning jobs in this channel yet" in _reply(jrig, "jobs")
    jrig.click()
    submit(jrig.slack, jrig.dialog(), user="U_ADMIN")
    [job] = jrig.launched()
    listed = _reply(jrig, "jobs")
    assert f"`{job.id}` *submitting*" in listed and "by <@U_ADMIN>" in listed
    assert "No fine-tuning jobs" in _reply(jrig, "jobs", channel="C_OTHER")
    latest = _reply(jrig, "status")
    assert f"Fine-tuning job {job.id}: submitting" in latest
    assert f"Fine-tuning job {job.id}" in _reply(jrig, f"status {job.id}", channel="C_OTHER")
    assert "There is no job nope" in _reply(jrig, "status nope")

    refused = _reply(jrig, f"cancel {job.id}", user="U_INTRUDER")
    assert "Cancel refused" in refused and "cancel" not in jrig.backend.calls
    entry = jrig.store.audit_entries()[0]
    assert (entry.actor, entry.action, entry.allowed) == ("U_INTRUDER", "cancel", False)

    assert "Cancel requested" in _reply(jrig, f"cancel {job.id}")
    assert jrig.backend.cancelled == [job.external_id]
    stop = start_watcher(jrig.store, lambda _: jrig.backend, jrig.slack.app.client,
                         interval_s=0, tick_s=0.01)
    try:
        assert eventually(lambda: any("cancelled by <@U_ADMIN>" in p.params["text"]
                                      for p in jrig.thread_posts()))
    finally:
        stop()
    final = jrig.store.get(job.id)
    assert final is not None and final.status is JobStatus.CANCELLED


def test_the_watcher_thread_posts_progress_and_outcome_in_the_thread(jrig: JobsRig) -> None:
    jrig.stub.remember_posts = True
    jrig.click()
    submit(jrig.slack, jrig.dialog(), user="U_ADMIN")
    [job] = jrig.launched()
    stop = start_watcher(jrig.store, lambda _: jrig.backend, jrig.slack.app.client,
                         interval_s=0, tick_s=0.01)
    try:
        assert eventually(lambda: len(jrig.thread_posts()) >= 3, timeout=10)
    finally:
        stop()
    assert not any(t.name == "job-watcher" for t in threading.enumerate())
    launched, progress, done = [p.params["text"] for p in jrig.thread_posts()]
    assert launched.startswith("🚀 Launched") and progress.startswith(f"Fine-tuning job {job.id}")
    assert f"✅ Fine-tuning job {job.id} succeeded." in done and "123,456" in done
    assert any("step 20/30" in u.params["text"] for u in jrig.stub.calls("chat.update"))
    assert jrig.store.get(job.id).status is JobStatus.SUCCEEDED  # type: ignore[union-attr]


def test_a_job_the_backend_refuses_is_reported_in_the_thread(jrig: JobsRig) -> None:
    jrig.backend.refuse = "this organisation is not eligible <!channel>"
    jrig.click()
    submit(jrig.slack, jrig.dialog(), user="U_ADMIN")
    [job] = jrig.launched()
    assert job.status is JobStatus.FAILED
    assert eventually(lambda: len(jrig.thread_posts()) == 2)
    failed = jrig.thread_posts()[1].params["text"]
    assert f"Fine-tuning job {job.id} failed" in failed and "&lt;!channel&gt;" in failed


def test_the_home_tab_lists_the_users_jobs(jrig: JobsRig) -> None:
    jrig.click()
    submit(jrig.slack, jrig.dialog(), user="U_ADMIN")
    [job] = jrig.launched()
    for user, event_id in (("U_ADMIN", "EvH1"), ("U_ML", "EvH2")):
        jrig.slack.event({"type": "app_home_opened", "user": user, "channel": "D1",
                          "tab": "home", "event_ts": "1"}, event_id=event_id)
    mine, theirs = (json.dumps(c.json_field("view"))
                    for c in jrig.stub.wait_for("views.publish", 2))
    assert f"`{job.id}` *submitting*" in mine and f"<#{CHANNEL}>" in mine
    assert job.id not in theirs and "jobs*\\nNone yet" in theirs
