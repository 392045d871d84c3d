"""Checklist modals, result messages and the download host check. Pure, no Slack."""

from __future__ import annotations

import json

import pytest

from bot.checklist.answers import ChecklistAnswers, KnowledgeBase
from bot.checklist.result import ChecklistResult, CitationRef, Item, Status
from bot.slack.blocks import MAX_BLOCKS, MAX_SECTION
from bot.slack.files import refusal, token_allowed
from bot.slack.forms import FormErrors, checklist_modal, read_checklist, validate_modal
from bot.slack.reports import checklist_messages, code_sections, validation_text

API = "http://127.0.0.1:5555/api/"


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://files.slack.com/files-pri/T1-F1/download/train.jsonl", True),
    ("https://files.slack.com:443/files-pri/T1-F1/train.jsonl", True),
    ("http://files.slack.com/files-pri/T1-F1/train.jsonl", False),
    ("https://files.slack.com.evil.example/x", False),
    ("https://evil.example/files.slack.com/x", False),
    ("https://user@evil.example/x", False),
    ("http://127.0.0.1:5555/files/F1/train.jsonl", True),
    ("http://127.0.0.1:5556/files/F1/train.jsonl", False),
    ("https://127.0.0.1:5555/files/F1/train.jsonl", False),
    ("http://localhost:5555/files/F1/train.jsonl", False),
    ("http://127.0.0.1:notaport/x", False),
    ("", False),
])
def test_the_token_goes_only_to_slack_or_the_api_host(url: str, allowed: bool) -> None:
    assert token_allowed(url, API) is allowed


def test_without_an_api_url_only_slack_files_are_allowed() -> None:
    assert token_allowed("https://files.slack.com/x", None)
    assert not token_allowed("http://127.0.0.1:5555/files/F1/x", None)


@pytest.mark.parametrize(("name", "filetype", "size", "refused"), [
    ("train.jsonl", "jsonl", 10, None),
    ("TRAIN.JSON", "", 10, None),
    ("notes", "text", 10, None),
    ("train.csv", "csv", 10, "is not a JSONL file"),
    ("train.jsonl", "jsonl", 2 * 1024 * 1024 + 1, "is 2.0 MB; this server accepts files up to 2"),
])
def test_refusal(name: str, filetype: str, size: int, refused: str | None) -> None:
    reason = refusal(name, filetype, size, max_mb=2)
    assert reason is None if refused is None else refused in (reason or "")


def _values(**given: dict[str, object]) -> dict[str, dict[str, dict[str, object]]]:
    return {k: {k: v} for k, v in given.items()}


def test_modals_fit_slack_limits() -> None:
    for view in (checklist_modal("C1"), validate_modal("C1")):
        assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
        assert len(view["private_metadata"]) <= 3000
        for block in view["blocks"]:
            for option in block.get("element", {}).get("options", []):
                assert len(option["text"]["text"]) <= 75
        ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
        assert len(ids) == len(set(ids))


def test_reading_the_checklist_modal() -> None:
    form = read_checklist(_values(
        use_case={"value": " Strict JSON "},
        goal={"selected_option": {"value": "output_format"}},
        prompting_tried={"value": "• few-shot\n\n- schema\n"},
        knowledge_base={"selected_option": {"value": "in_place"}},
        monthly_requests={"value": "40000"},
        openai_org_eligible={"selected_option": {"value": "no"}},
        dataset={"files": [{"id": "F1"}]},
    ), max_mb=1)
    answers = form.answers
    assert answers.use_case == "Strict JSON" and answers.goal == "output_format"
    assert answers.prompting.tried == ["few-shot", "schema"]
    assert answers.knowledge_base is KnowledgeBase.IN_PLACE
    assert (answers.monthly_requests, answers.openai_org_eligible) == (40000, False)
    assert answers.backend == "lora" and answers.openai_model == "gpt-4.1-mini"
    assert (form.dataset, form.validation) == ("F1", None)


def test_model_validation_errors_land_on_their_block() -> None:
    too_long = "x" * 9000
    with pytest.raises(FormErrors) as raised:
        read_checklist(_values(use_case={"value": too_long}), max_mb=1)
    assert set(raised.value.errors) == {"use_case"}


def _result(items: int, status: Status = Status.PASS, reason: str = "ok",
            cost_text: str | None = None) -> ChecklistResult:
    return ChecklistResult(
        answers=ChecklistAnswers(), cost_text=cost_text,
        items=[Item(key=f"k{i}", title=f"Item {i}", status=status, reason=reason,
                    citation=CitationRef(path="02.md", section="S")) for i in range(items)])


def test_long_results_are_split_within_limits_and_the_button_comes_last() -> None:
    table = "\n".join(f"  route {i:>4} | {'$' + str(i):>8} |" for i in range(400))
    messages = checklist_messages(_result(40, reason="word " * 1000, cost_text=table))
    assert len(messages) > 1
    for blocks in messages:
        assert len(blocks) <= MAX_BLOCKS
        for block in blocks:
            text = block.get("text", {}).get("text", "")
            assert len(text) <= MAX_SECTION
    assert messages[-1][-1]["elements"][0]["action_id"] == "ft_launch"
    assert sum(json.dumps(m).count("ft_launch") for m in messages) == 1


def test_cost_table_pieces_are_closed_code_blocks_that_keep_alignment() -> None:
    table = "\n".join(f"  route {i:>4} | {'$' + str(i):>8} |" for i in range(400))
    pieces = [b["text"]["text"] for b in code_sections("*Cost estimate*", table)]
    assert len(pieces) > 1 and pieces[0].startswith("*Cost estimate*\n```  route")
    body = "\n".join(p.removeprefix("*Cost estimate*\n").strip("`") for p in pieces)
    assert body == table
    assert all(p.endswith("```") and p.count("```") == 2 for p in pieces)


def test_a_result_with_a_failure_has_no_button() -> None:
    messages = checklist_messages(_result(8, Status.FAIL))
    assert "ft_launch" not in json.dumps(messages)


def test_validation_text_lists_top_problems_and_the_validation_file() -> None:
    report = {
        "format": "chat", "examples": 5000, "invalid_examples": 7,
        "errors": {f"kind_{i}": {"count": i, "lines": list(range(1, i + 1))}
                   for i in range(1, 9)},
        "warnings": {}, "tokens": {"total": 1234567, "encoding": "cl100k_base", "exact": False,
                                   "max_example_tokens": 4096, "truncated_examples": 12},
        "validation": {"format": "chat", "examples": 10, "invalid_examples": 0,
                       "errors": {}, "warnings": {}},
    }
    text = validation_text(report)
    assert "has blocking errors" in text and "5,000 examples, 7 invalid" in text
    assert "1,234,567 per epoch (encoding `cl100k_base`, estimated" in text
    assert "12 examples over 4,096 tokens are truncated" in text
    assert "kind 8 ×8 — lines 1, 2, 3, 4, 5…" in text and "kind 3" not in text
    assert "and 3 more kinds" in text
    assert "*Validation file:* usable" in text
