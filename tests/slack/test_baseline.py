"""`/finetune baseline` end to end over HTTP: the real Bolt app and server, the Slack
API stub serving the held-out file, the real OpenAI SDK against the chat stub, and
the real baseline store."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.db import database_url, open_engine
from bot.evaluation.pick import EVALUATORS
from bot.evaluation.store import BaselineStore
from bot.slack import forms
from bot.slack.baseline import NO_ENDPOINT
from bot.slack.progress import ProgressMessage
from tests.conftest import QUEUES, ticket
from tests.slack.conftest import SlackRig, running_rig
from tests.slack.test_checklist import blocks_text, no_answers, open_modal, submit
from tests.stubs.openai_stub import OpenAIStub, completion, openai_stub

pytestmark = pytest.mark.slow

EXAMPLES = 100
HELD_OUT = "\n".join(json.dumps(ticket(i)) for i in range(EXAMPLES)).encode()
PROMPT = "Route the ticket to one queue: billing, refunds, shipping, login, bug, …"


def every_other_right(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The right queue for even tickets, a miss for odd ones; a little latency."""
    time.sleep(0.02)
    text = body["messages"][-1]["content"]
    number = int(text.split("#")[1].split(":")[0])
    queue = next(q for q in QUEUES if f"about {q} issue" in text)
    return 200, completion(queue if number % 2 == 0 else "unsure", body["model"])


@dataclass
class Rig:
    slack: SlackRig
    chat: OpenAIStub
    store: BaselineStore


@pytest.fixture
def brig(tmp_path: Path) -> Iterator[Rig]:
    store = BaselineStore(open_engine(database_url(None, tmp_path / "data")))
    with openai_stub(every_other_right) as chat, \
            running_rig(tmp_path / "data", no_answers, tmp_path / "slack.sqlite3",
                        baselines=store, OPENAI_BASE_URL=chat.base_url) as slack:
        yield Rig(slack, chat, store)


def test_the_modal_asks_for_the_file_model_prompt_and_evaluator(brig: Rig) -> None:
    view = open_modal(brig.slack, "baseline")
    assert view["callback_id"] == "ft_baseline"
    assert json.loads(view["private_metadata"]) == {"channel": "C1"}
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["held_out", "model", "system_prompt", "evaluator"]
    assert [k for k, b in inputs.items() if not b["optional"]] == ["held_out", "model"]
    assert inputs["held_out"]["element"]["type"] == "file_input"
    assert inputs["model"]["element"]["initial_value"] == "gpt-4.1-mini"
    assert inputs["system_prompt"]["element"]["multiline"] is True
    options = [o["value"] for o in inputs["evaluator"]["element"]["options"]]
    assert tuple(options) == EVALUATORS == forms.EVALUATORS


def test_a_baseline_run_reports_progress_and_is_recorded(brig: Rig) -> None:
    slack = brig.slack
    slack.stub.add_file("F1", "held.jsonl", HELD_OUT)
    started = time.monotonic()
    status, body = submit(slack, open_modal(slack, "baseline"), user="U42",
                          held_out=["F1"], system_prompt=PROMPT)
    assert status == 200 and body == ""
    parent, progress, result = slack.posts(3, timeout=60)
    elapsed = time.monotonic() - started

    assert parent.params["channel"] == "C1" and "thread_ts" not in parent.params
    opening = parent.params["text"]
    assert opening.startswith("Running the baseline for <@U42> on held.jsonl: gpt-4.1-mini: "
                              f"{EXAMPLES} prompts, ")
    assert "→ ~$" in opening
    thread_ts = parent.response["ts"]
    assert progress.params["thread_ts"] == result.params["thread_ts"] == thread_ts
    assert progress.params["text"] == f"Answered 0 of {EXAMPLES} prompts (0%)…"

    updates = slack.stub.calls("chat.update")
    assert {u.params["ts"] for u in updates} == {progress.response["ts"]}
    assert 2 <= len(updates) <= 10 + 1 + elapsed / 2  # tenths, time ticks, the end
    assert updates[-1].params["text"].startswith(f"Answered all {EXAMPLES} prompts in ")
    assert all("Answered" in u.params["text"] for u in updates[:-1])

    assert result.params["text"] == \
        f"Baseline gpt-4.1-mini: 50.0% exact_match on {EXAMPLES} held-out examples"
    text = blocks_text(result)
    assert "Per class" in text and "billing" in text and "precision" in text
    recorded = brig.store.latest_for(hashlib.sha256(HELD_OUT).hexdigest())
    assert recorded is not None and f"Recorded as baseline `{recorded.id}`" in text
    assert "item 2" in text
    assert (recorded.score, recorded.examples, recorded.requested_by) == (0.5, EXAMPLES, "U42")

    assert len(brig.chat.requests) == EXAMPLES
    assert {r["messages"][0]["content"] for r in brig.chat.requests} == {PROMPT}


def test_a_file_that_cannot_be_evaluated_is_a_plain_reply(brig: Rig) -> None:
    slack = brig.slack
    slack.stub.add_file("F2", "prompts.jsonl", b'{"messages": [{"role": "user", '
                                               b'"content": "hi"}]}\n')
    submit(slack, open_modal(slack, "baseline"), held_out=["F2"])
    parent, reply = slack.posts(2)
    assert parent.params["text"] == "Could not run the baseline for <@U1>."
    assert reply.params["thread_ts"] == parent.response["ts"]
    assert reply.params["text"].startswith("prompts.jsonl, line 1: expected at least")
    assert brig.chat.requests == [] and slack.stub.calls("chat.update") == []


def test_the_file_and_model_are_required(brig: Rig) -> None:
    _, body = submit(brig.slack, open_modal(brig.slack, "baseline"), model="  ")
    assert set(json.loads(body)["errors"]) == {"held_out", "model"}


def test_without_a_model_endpoint_the_command_says_so(tmp_path: Path) -> None:
    store = BaselineStore(open_engine(database_url(None, tmp_path)))
    with running_rig(tmp_path, no_answers, tmp_path / "s.db", baselines=store) as rig:
        _, body = rig.command("baseline")
        assert json.loads(body)["text"] == NO_ENDPOINT
        time.sleep(0.2)
        assert rig.stub.calls("views.open") == []


def test_without_a_baseline_store_the_command_says_so(tmp_path: Path) -> None:
    with running_rig(tmp_path, no_answers, tmp_path / "s.db") as rig:
        _, body = rig.command("baseline")
        assert "not set up" in json.loads(body)["text"]


@dataclass
class FakeThread:
    """A Thread whose client records the edits of the progress message."""

    channel: str = "C1"
    ts: str = "1.0"
    edits: list[str] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return self

    def post(self, text: str, blocks: Any = None) -> str:
        return "2.0"

    def chat_update(self, channel: str, ts: str, text: str) -> None:
        self.edits.append(text)


def clock(step_s: float) -> Callable[[], float]:
    now = [0.0]

    def tick() -> float:
        now[0] += step_s
        return now[0]
    return tick


@pytest.mark.parametrize(("step_s", "edits"), [(0.0001, 9), (5.0, 999)])
def test_progress_is_edited_every_tenth_or_every_two_seconds(step_s: float,
                                                             edits: int) -> None:
    thread = FakeThread()
    progress = ProgressMessage(thread, 1000, clock=clock(step_s))  # type: ignore[arg-type]
    for done in range(1, 1001):
        progress(done, 1000)
    assert len(thread.edits) == edits  # the 1000th is left to the final update
    assert thread.edits[0] == ("Answered 100 of 1,000 prompts (10%)…" if edits == 9
                               else "Answered 1 of 1,000 prompts (0%)…")
