"""The launch dialog and job listings. Pure, no Slack."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from bot.checklist.answers import ChecklistAnswers
from bot.checklist.result import ChecklistResult, CitationRef, DatasetRef, Item, Status
from bot.jobs.backend import JobStatus, Progress
from bot.jobs.spec import DataFile, JobSpec
from bot.jobs.store import Job
from bot.slack.blocks import home_view
from bot.slack.job_blocks import (
    LaunchTarget,
    jobs_blocks,
    launch_dialog,
    money,
    read_preset,
    status_blocks,
)

EVIL = "<!channel> & <@U9>"


def job(status: JobStatus = JobStatus.RUNNING, **spec: object) -> Job:
    now = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    return Job(id="j1", launch_id="abcdef12-1", backend="lora", external_id="ext-1",
               status=status, spec=JobSpec(**{
                   "launch_id": "abcdef12-1", "backend": "lora", "base_model": EVIL,
                   "training_file": DataFile(path=Path("t.jsonl"), sha256="0" * 64),
                   "checklist_id": "abcdef12", "requested_by": "U1", "channel": "C9",
                   **spec}),
               progress=Progress(step=5, total_steps=10, loss=1.5), outcome=None,
               error=None, cursor=None, cancelled_by=None, created_at=now, updated_at=now)


def result(backend: str) -> ChecklistResult:
    answers = ChecklistAnswers(backend=backend, base_model="Qwen/Qwen2.5-7B-Instruct")
    return ChecklistResult(
        answers=answers, items=[Item(key="k", title="t", status=Status.PASS, reason="r",
                                     citation=CitationRef(path="p", section="s"))],
        dataset=DatasetRef(source="s", sha256="0", train_file="t", train_sha256="0",
                           train_examples=900, validation_examples=100))


def test_the_dialog_shows_the_cost_on_its_submit_button() -> None:
    target = LaunchTarget("abcdef12", "C9", "100.1", money(12345.678, "EUR"))
    view = launch_dialog(result("lora"), 12345.678, "EUR", target)
    assert view["submit"]["text"] == "Launch for €12,345.68"
    assert LaunchTarget.loads(view["private_metadata"]) == target
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "900 (+100 for validation)" in text and "Qwen/Qwen2.5-7B-Instruct" in text
    openai = launch_dialog(result("openai"), 3.5, "CHF", target)
    assert openai["submit"]["text"] == "Launch for 3.50 CHF"
    assert not any(b["type"] == "input" for b in openai["blocks"])  # presets are LoRA's
    assert read_preset({}) == "balanced"
    assert read_preset({"preset": {"preset": {"selected_option": {"value": "quick"}}}}) == \
        "quick"


def test_job_listings_are_escaped() -> None:
    dumped = json.dumps([home_view([], [job()]), jobs_blocks([job()]),
                         status_blocks(job(JobStatus.FAILED, requested_by="local:ann"),
                                       [("backend:e1", f"bad line {EVIL}")])])
    for raw in ("<!channel>", "<@U9>"):
        assert raw not in dumped
    assert "&lt;!channel&gt; &amp; &lt;@U9&gt;" in dumped
    assert "`j1` *running*" in dumped and "<#C9>" in dumped and "by <@U1>" in dumped
    assert "launched by local:ann" in dumped and "bad line &lt;!channel&gt;" in dumped


def test_the_home_tab_shows_five_jobs_at_most() -> None:
    view = home_view([], [job()] * 8)
    assert json.dumps(view).count("`j1`") == 5 and len(view["blocks"]) <= 100
    assert "jobs*\\nNone yet" in json.dumps(home_view([], []))
