"""`/finetune check` and `validate` end to end over HTTP: the real Bolt app and server,
signed requests, the Web API stub serving files.info and downloads. The checklist
service is a small fake recording what the Slack layer hands it, except in the last
test, which runs the real one."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.checklist.answers import ChecklistAnswers
from bot.checklist.result import ChecklistResult, CitationRef, Item, Status
from bot.checklist.run import Requester
from bot.errors import InputError
from bot.wiring import Services
from tests.slack.conftest import TOKEN, SlackRig, eventually, running_rig

pytestmark = pytest.mark.slow

TRAIN = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 3
VALIDATION = {
    "format": "chat", "examples": 120, "invalid_examples": 2,
    "errors": {"invalid_json": {"count": 2, "lines": [7, 19]}},
    "warnings": {"duplicate_examples": {"count": 9, "lines": [3, 4, 5, 6, 8, 9]}},
    "stats": {}, "tokens": {"total": 45210, "encoding": "o200k_base", "exact": True,
                            "max_example_tokens": 4096, "truncated_examples": 0},
    "usable": False,
}
COSTS = "Route        Cost\nopenai     $1.20\nlora       $0.80\n\nAssumptions: 3 epochs."


@dataclass
class Seen:
    answers: ChecklistAnswers
    dataset: bytes | None
    validation: bytes | None
    requester: Requester | None
    paths: list[Path]


@dataclass
class FakeReport:
    data: dict[str, Any]
    usable: bool

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return self.data


@dataclass
class FakeChecklist:
    """The ChecklistService contract, answering with fixed item statuses."""

    statuses: list[Status] = field(default_factory=lambda: [Status.PASS] * 3)
    error: Exception | None = None
    seen: list[Seen] = field(default_factory=list)
    results: list[ChecklistResult] = field(default_factory=list)

    def check(self, answers: ChecklistAnswers, dataset: Path | None,
              requester: Requester | None = None) -> ChecklistResult:
        validation = answers.validation_file
        self.seen.append(Seen(answers, dataset.read_bytes() if dataset else None,
                              validation.read_bytes() if validation else None, requester,
                              [p for p in (dataset, validation) if p]))
        if self.error:
            raise self.error
        items = [Item(key=f"k{i}", title=f"Item {i}", status=status,
                      reason=f"reason {i} <!channel>", citation=CitationRef(
                          path="03-training-data.md", section=f"Section {i}"))
                 for i, status in enumerate(self.statuses)]
        self.results.append(ChecklistResult(answers=answers, items=items,
                                            validation=VALIDATION, cost_text=COSTS))
        return self.results[-1]

    def validate(self, path: Path, answers: ChecklistAnswers | None = None) -> FakeReport:
        self.seen.append(Seen(answers or ChecklistAnswers(), path.read_bytes(), None, None,
                              [path]))
        return FakeReport(VALIDATION, usable=False)


@pytest.fixture
def fake() -> FakeChecklist:
    return FakeChecklist()


def no_answers(turns: list[str]) -> Any:
    raise AssertionError("the advisor is not used here")


@pytest.fixture
def crig(fake: FakeChecklist, tmp_path: Path) -> Iterator[SlackRig]:
    with running_rig(tmp_path / "data", no_answers, tmp_path / "slack.sqlite3",
                     checklist=fake, FT_MAX_UPLOAD_MB=1) as rig:
        yield rig


def open_modal(rig: SlackRig, sub: str = "check") -> dict[str, Any]:
    started = time.perf_counter()
    status, body = rig.command(sub)
    assert status == 200 and body == "" and time.perf_counter() - started < 3
    call = rig.stub.wait_for("views.open")[-1]
    assert call.params["trigger_id"] == "t1"
    return dict(call.json_field("view"))


def state_of(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """view.state.values as Slack sends it: every input block, initial values kept."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, given = block["element"], values.get(block["block_id"])
        kind = element["type"]
        entry: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input"):
            entry["value"] = given if given is not None else element.get("initial_value")
        elif kind in ("static_select", "radio_buttons"):
            entry["selected_option"] = next(
                o for o in element["options"] if o["value"] == given
            ) if given else element.get("initial_option")
        elif kind == "file_input":
            entry["files"] = [f if isinstance(f, dict) else {"id": f} for f in given or []]
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


def submit(rig: SlackRig, view: dict[str, Any], user: str = "U1",
           **values: Any) -> tuple[int, str]:
    payload = {
        "type": "view_submission", "team": {"id": "T1", "domain": "test"},
        "user": {"id": user, "username": "u", "name": "u", "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": "t2",
        "view": {"id": "V1", "team_id": "T1", "type": "modal", "title": view["title"],
                 "callback_id": view["callback_id"], "blocks": view["blocks"],
                 "private_metadata": view["private_metadata"], "hash": "h",
                 "state": {"values": state_of(view, values)}},
        "response_urls": [], "is_enterprise_install": False,
    }
    return rig.action(payload)


ANSWERS = {"use_case": "Strict JSON invoices", "prompting_tried": "few-shot\n- JSON schema",
           "prompting_baseline": "91% valid", "knowledge_base": "not_needed",
           "examples": "1200", "backend": "openai", "openai_org_eligible": "yes"}


def thread_posts(rig: SlackRig, count: int) -> tuple[Any, list[Any]]:
    """The parent message and the replies, which must all be in its thread."""
    parent, *replies = rig.posts(count)
    assert "thread_ts" not in parent.params
    assert {r.params.get("thread_ts") for r in replies} == {parent.response["ts"]}
    return parent, replies


def blocks_text(call: Any) -> str:
    return json.dumps(call.json_field("blocks"), ensure_ascii=False)


def launch_buttons(calls: list[Any]) -> list[dict[str, Any]]:
    return [e for c in calls for b in c.json_field("blocks") if b["type"] == "actions"
            for e in b["elements"] if e["action_id"] == "ft_launch"]


def test_check_opens_the_modal(crig: SlackRig) -> None:
    view = open_modal(crig)
    assert view["type"] == "modal" and view["callback_id"] == "ft_checklist"
    assert json.loads(view["private_metadata"]) == {"channel": "C1"}
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert [k for k, b in inputs.items() if not b["optional"]] == ["use_case"]
    files = [b["element"] for b in inputs.values() if b["element"]["type"] == "file_input"]
    assert len(files) == 2 and all(f["max_files"] == 1 for f in files)
    assert inputs["backend"]["element"]["initial_option"]["value"] == "lora"
    assert inputs["base_model"]["element"]["initial_value"] == "Qwen/Qwen2.5-7B-Instruct"
    assert len(inputs["goal"]["element"]["options"]) == 8
    time.sleep(0.2)
    assert crig.stub.calls("chat.postMessage") == []


def test_a_passing_checklist_is_posted_in_a_thread_with_the_launch_button(
        crig: SlackRig, fake: FakeChecklist) -> None:
    crig.stub.add_file("F1", "train.jsonl", TRAIN)
    crig.stub.add_file("F2", "valid.jsonl", TRAIN[:60])
    view = open_modal(crig)
    status, body = submit(crig, view, user="U42", dataset=["F1"], validation_file=["F2"],
                          **ANSWERS)
    assert status == 200 and body == ""  # an empty ack closes the modal
    parent, replies = thread_posts(crig, 2)
    assert parent.params["channel"] == "C1"
    assert parent.params["text"] == "Running the pre-launch checklist for <@U42>…"
    assert len(replies) == 1
    seen = fake.seen[0]
    assert seen.dataset == TRAIN and seen.validation == TRAIN[:60]
    assert seen.requester == Requester("U42", "C1", replies[0].params["thread_ts"])
    answers = seen.answers
    assert answers.prompting.tried == ["few-shot", "JSON schema"]
    assert (answers.examples, answers.backend, answers.openai_org_eligible) == \
        (1200, "openai", True)
    downloads = crig.stub.downloads("F1")
    assert [d.status for d in downloads] == [200]
    assert downloads[0].header("Authorization") == f"Bearer {TOKEN}"
    text = blocks_text(replies[0])
    assert "✅ *Item 0* — reason 0 &lt;!channel&gt;" in text and "<!channel>" not in text
    assert "03-training-data.md › Section 0" in text
    assert "invalid json ×2: the line is not valid JSON — lines 7, 19" in text
    assert "45,210 per epoch" in text
    assert "o200k_base" in text and "```Route" in text
    assert [b["value"] for b in launch_buttons(replies)] == [fake.results[0].id]
    assert eventually(lambda: not any(p.exists() for p in seen.paths))


def test_a_failing_checklist_has_no_launch_button(crig: SlackRig, fake: FakeChecklist) -> None:
    fake.statuses = [Status.PASS, Status.FAIL, Status.UNKNOWN]
    submit(crig, open_modal(crig), use_case="Know our product docs")
    _, replies = thread_posts(crig, 2)
    text = blocks_text(replies[0])
    assert "❌ *Item 1*" in text and "❔ *Item 2*" in text
    assert launch_buttons(replies) == []
    assert fake.seen[0].dataset is None


def test_without_jobs_the_launch_button_says_they_are_not_set_up(crig: SlackRig) -> None:
    payload = {"type": "block_actions", "user": {"id": "U7"}, "team": {"id": "T1"},
               "channel": {"id": "C1"}, "trigger_id": "t", "api_app_id": "A1",
               "container": {"type": "message", "thread_ts": "1700000000.000100"},
               "response_url": crig.stub.response_url("launch"),
               "actions": [{"type": "button", "action_id": "ft_launch", "block_id": "launch:x",
                            "value": "abc123", "action_ts": "1"}]}
    status, _ = crig.action(payload)
    assert status == 200
    reply = crig.stub.wait_for("response/launch")[0].params
    assert reply["response_type"] == "ephemeral" and "not set up" in reply["text"]
    assert crig.stub.calls("chat.postMessage") == []


@pytest.mark.parametrize(("values", "errors"), [
    ({"use_case": "x", "examples": "lots"}, {"examples"}),
    ({"use_case": "x", "monthly_requests": "-5"}, {"monthly_requests"}),
    ({"use_case": "   ", "examples": "12"}, {"use_case"}),
    ({"use_case": "x", "validation_file": ["F2"]}, {"validation_file"}),
    ({"use_case": "x", "dataset": [{"id": "F1", "name": "big.jsonl", "filetype": "jsonl",
                                    "size": 5 * 1024 * 1024}]}, {"dataset"}),
])
def test_bad_input_is_shown_in_the_modal(crig: SlackRig, fake: FakeChecklist,
                                         values: dict[str, Any], errors: set[str]) -> None:
    status, body = submit(crig, open_modal(crig), **values)
    assert status == 200
    response = json.loads(body)
    assert response["response_action"] == "errors" and set(response["errors"]) == errors
    time.sleep(0.3)
    assert crig.stub.calls("chat.postMessage") == [] and fake.seen == []


def _refused(rig: SlackRig, fake: FakeChecklist, file_id: str) -> str:
    submit(rig, open_modal(rig), use_case="JSON output", dataset=[file_id])
    _, replies = thread_posts(rig, 2)
    assert fake.seen == []
    return str(replies[0].params["text"])


def test_an_oversize_file_is_refused_before_downloading(crig: SlackRig,
                                                         fake: FakeChecklist) -> None:
    crig.stub.add_file("F3", "huge.jsonl", b"x" * (3 * 1024 * 1024 // 2))
    text = _refused(crig, fake, "F3")
    assert "huge.jsonl is 1.5 MB" in text and "up to 1 MB" in text
    assert crig.stub.calls("files.info") and crig.stub.downloads("F3") == []


def test_a_file_larger_than_it_claims_is_cut_off(crig: SlackRig, fake: FakeChecklist,
                                                 tmp_path: Path) -> None:
    crig.stub.add_file("F4", "liar.jsonl", b"x" * (3 * 1024 * 1024 // 2), size=100)
    text = _refused(crig, fake, "F4")
    assert "liar.jsonl is larger than 1 MB" in text
    assert [d.status for d in crig.stub.downloads("F4")] == [200]
    assert eventually(lambda: not any((tmp_path / "data" / "uploads").iterdir()))


def test_a_file_that_is_not_jsonl_is_refused(crig: SlackRig, fake: FakeChecklist) -> None:
    crig.stub.add_file("F5", "budget.xlsx", b"PK\x03\x04", filetype="xlsx")
    assert "budget.xlsx is not a JSONL file" in _refused(crig, fake, "F5")
    assert crig.stub.downloads("F5") == []


def test_the_token_is_not_sent_to_another_host(crig: SlackRig, fake: FakeChecklist) -> None:
    port = crig.stub.root_url.rsplit(":", 1)[1].rstrip("/")
    crig.stub.add_file("F6", "train.jsonl", TRAIN,
                       url=f"http://localhost:{port}/files/F6/train.jsonl")
    assert "Refusing to download train.jsonl" in _refused(crig, fake, "F6")
    assert crig.stub.downloads("F6") == []


def test_the_stub_serves_files_only_to_the_bot_token(crig: SlackRig) -> None:
    url = crig.stub.add_file("F7", "train.jsonl", TRAIN)
    for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers))
        assert refused.value.code == 401
    assert [d.status for d in crig.stub.downloads("F7")] == [401, 401]


def test_a_domain_error_is_a_plain_reply(crig: SlackRig, fake: FakeChecklist) -> None:
    fake.error = InputError("Line 3 is not JSON <!here>.")
    submit(crig, open_modal(crig), use_case="JSON output")
    _, replies = thread_posts(crig, 2)
    assert replies[0].params["text"] == "Line 3 is not JSON &lt;!here&gt;."


def test_an_unexpected_failure_is_logged_not_shown(
        crig: SlackRig, fake: FakeChecklist, caplog: pytest.LogCaptureFixture) -> None:
    fake.error = RuntimeError("disk on fire")
    caplog.set_level(logging.INFO)
    submit(crig, open_modal(crig), use_case="JSON output")
    _, replies = thread_posts(crig, 2)
    assert "Sorry" in replies[0].params["text"]
    assert "disk on fire" not in blocks_text(replies[0])
    assert "disk on fire" in caplog.text and TOKEN not in caplog.text


def test_a_channel_the_bot_cannot_post_in_falls_back_to_a_dm(crig: SlackRig,
                                                             fake: FakeChecklist) -> None:
    crig.stub.fail("chat.postMessage", error="not_in_channel")
    submit(crig, open_modal(crig), user="U9", use_case="JSON output")
    posts = crig.posts(3)
    assert [p.params["channel"] for p in posts] == ["C1", "U9", "U9"]
    assert fake.seen[0].requester == Requester("U9", "U9", posts[2].params["thread_ts"])


def test_a_form_that_cannot_open_is_reported(crig: SlackRig) -> None:
    crig.stub.fail("views.open", error="expired_trigger_id")
    crig.command("check", response="opening")
    reply = crig.stub.wait_for("response/opening")[0].params
    assert "expired_trigger_id" in reply["text"] and reply["response_type"] == "ephemeral"


def test_validate_posts_the_report_in_a_thread(crig: SlackRig, fake: FakeChecklist) -> None:
    crig.stub.add_file("F8", "train.jsonl", TRAIN)
    view = open_modal(crig, "validate")
    assert view["callback_id"] == "ft_validate"
    status, body = submit(crig, view, dataset=["F8"], backend="openai", model="gpt-4.1")
    assert status == 200 and body == ""
    parent, replies = thread_posts(crig, 2)
    assert parent.params["text"] == "Validating a dataset for <@U1>…"
    assert replies[0].params["text"] == "train.jsonl: has blocking errors"
    text = blocks_text(replies[0])
    assert "Validation of train.jsonl:* has blocking errors" in text
    assert "duplicate examples ×9: the same line as an earlier example — lines 3, 4, 5, 6, " \
        "8…" in text
    seen = fake.seen[0]
    assert seen.dataset == TRAIN
    assert (seen.answers.backend, seen.answers.openai_model) == ("openai", "gpt-4.1")


def test_validate_needs_a_file(crig: SlackRig) -> None:
    _, body = submit(crig, open_modal(crig, "validate"))
    assert json.loads(body)["errors"] == {"dataset": "Attach the JSONL dataset to validate."}


def test_without_a_checklist_service_the_command_says_so(tmp_path: Path) -> None:
    with running_rig(tmp_path, no_answers, tmp_path / "s.db") as rig:
        for sub in ("check", "validate"):
            _, body = rig.command(sub)
            assert "not set up" in json.loads(body)["text"]
        time.sleep(0.2)
        assert rig.stub.calls("views.open") == []


def test_the_real_checklist_service(services: Services, warm_data_dir: Path,
                                    tmp_path: Path) -> None:
    examples = [json.dumps({"messages": [
        {"role": "user", "content": f"Invoice {i}: ACME, {i} widgets at $3."},
        {"role": "assistant", "content": json.dumps({"vendor": "ACME", "total": 3 * i})}]})
        for i in range(1, 81)]
    with running_rig(warm_data_dir, no_answers, tmp_path / "s.db",
                     checklist=services.checklist) as rig:
        rig.stub.add_file("F1", "invoices.jsonl", "\n".join(examples).encode())
        submit(rig, open_modal(rig), dataset=["F1"], **ANSWERS)
        parent, replies = thread_posts(rig, 2)
        text = "".join(blocks_text(r) for r in replies)
        icons = sum(text.count(f"{icon} *") for icon in "✅❌❔")
        assert icons == 8 and "Dataset validation" in text and "80 examples" in text
        stored = services.checklist.store.recent(1)[0]
        assert (stored.requested_by, stored.channel, stored.thread_ts) == \
            ("U1", "C1", parent.response["ts"])
        assert bool(launch_buttons(replies)) is stored.passed
