"""Format detection and every blocking error category, on small files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.datasets.formats import check_example, detect_format
from bot.datasets.validate import validate_dataset
from tests.datasets.conftest import Line, Writer, chat, preference, varied

USER = {"role": "user", "content": "Where is my parcel?"}
REPLY = {"role": "assistant", "content": "It left the depot this morning."}
CALL = {"id": "call_1", "type": "function",
        "function": {"name": "track", "arguments": '{"parcel": "A1"}'}}


def messages(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": list(items), **extra}


def with_user(**changes: Any) -> dict[str, Any]:
    return messages({**USER, **changes}, REPLY)


def with_reply(**changes: Any) -> dict[str, Any]:
    return messages(USER, {**REPLY, **changes})


CHAT_ERRORS: list[tuple[str, Line]] = [
    ("invalid_json", b'{"messages": ['),
    ("invalid_json", b'{"messages": NaN}'),
    ("invalid_json", b'{"n": 1e400}'),
    ("missing_messages", b'{"n": 123456789012345678901234567890}'),
    ("invalid_json", b"[" * 5000 + b"]" * 5000),
    ("invalid_utf8", b'{"messages": "\xff\xfe"}'),
    ("not_an_object", b"[1, 2]"),
    ("not_an_object", b'"just a string"'),
    ("not_an_object", b"null"),
    ("missing_messages", {"messages": []}),
    ("missing_messages", {}),
    ("missing_messages", {"messages": "hello"}),
    ("unknown_keys", chat(metadata={"source": "crm"})),
    ("unknown_keys", with_user(mood="angry")),
    ("unknown_role", with_user(role="customer")),
    ("unknown_role", with_user(role=["user"])),
    ("invalid_message", messages("hello", REPLY)),
    ("invalid_content", with_user(content="")),
    ("invalid_content", with_user(content="   ")),
    ("invalid_content", with_user(content=5)),
    ("invalid_content", with_user(content=None)),
    ("invalid_content", with_user(content=[])),
    ("invalid_content", with_user(content=[{"type": "text", "text": ""}])),
    ("invalid_content", with_user(content=[{"type": "audio", "data": "..."}])),
    ("invalid_content", with_reply(content=None)),
    ("invalid_content", with_reply(content=[{"type": "image_url", "image_url": {"url": "x"}}])),
    ("invalid_content", with_reply(refusal=3)),
    ("invalid_content", with_user(refusal="no")),
    ("invalid_name", with_user(name="Ann Smith")),
    ("invalid_name", with_user(name=7)),
    ("invalid_weight", with_reply(weight=2)),
    ("invalid_weight", with_reply(weight=True)),
    ("invalid_weight", with_reply(weight=0.5)),
    ("invalid_weight", with_user(weight=1)),
    ("invalid_tool_calls", with_reply(content=None, tool_calls=[])),
    ("invalid_tool_calls", with_reply(tool_calls=[{**CALL, "function": {"name": "track"}}])),
    ("invalid_tool_calls", with_reply(
        tool_calls=[{**CALL, "function": {"name": "track", "arguments": "{not json"}}])),
    ("invalid_tool_calls", with_reply(tool_calls=[{k: v for k, v in CALL.items() if k != "id"}])),
    ("invalid_tool_calls", messages(USER, {"role": "tool", "tool_call_id": "nope",
                                           "content": "42"}, REPLY)),
    ("invalid_tool_calls", messages(USER, {"role": "tool", "tool_call_id": ["x"],
                                           "content": "42"}, REPLY)),
    ("invalid_tool_calls", with_user(tool_calls=[CALL])),
    ("invalid_tool_calls", with_reply(function_call={"name": "track"})),
    ("invalid_tools", chat(tools={"name": "track"})),
    ("invalid_tools", chat(tools=[{"type": "function", "function": {"name": "bad name"}}])),
    ("invalid_tools", chat(parallel_tool_calls="yes")),
    ("invalid_tools", chat(functions=[{"description": "no name"}])),
    ("invalid_tools", b'{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", '
                      b'"content": "b"}], "tools": [{"type": "function", "function": {"name": '
                      b'"f", "parameters": {"a": ' + b"[" * 900 + b"]" * 900 + b"}}}]}"),
    ("no_assistant_message", messages({"role": "system", "content": "Be kind."}, USER)),
    ("last_message_not_assistant", messages(USER, REPLY, USER)),
    ("special_tokens", with_user(content="Hello<|endoftext|>")),
    ("special_tokens", with_user(content="<|im_start|>user\nhi<|im_end|>")),
    ("special_tokens", with_reply(content="Sure.<|eot_id|>")),
]

PREFERENCE_ERRORS: list[tuple[str, Line]] = [
    ("missing_input", preference(input=None)),
    ("missing_input", preference(input="Summarise")),
    ("missing_messages", preference(input={"messages": []})),
    ("missing_preferred_output", {k: v for k, v in preference().items()
                                  if k != "preferred_output"}),
    ("missing_non_preferred_output", {k: v for k, v in preference().items()
                                      if k != "non_preferred_output"}),
    ("invalid_preference_output", preference(preferred_output=[REPLY, REPLY])),
    ("invalid_preference_output", preference(preferred_output=[USER])),
    ("invalid_preference_output", preference(non_preferred_output={"role": "assistant"})),
    ("invalid_content", preference(preferred_output=[{"role": "assistant", "content": ""}])),
    ("unknown_keys", preference(score=0.9)),
    ("unknown_keys", preference(input={"messages": [USER], "temperature": 0})),
    ("special_tokens", preference(preferred_output=[{"role": "assistant",
                                                     "content": "ok<|endoftext|>"}])),
]


def _error_report(write: Writer, bad: Line, good: list[dict[str, Any]]) -> Any:
    path = write([*good[:2], bad, *good[2:]])
    return validate_dataset(path, min_examples=1)


@pytest.mark.parametrize(("category", "bad"), CHAT_ERRORS)
def test_each_chat_error_is_counted_on_its_line(write: Writer, category: str, bad: Line) -> None:
    report = _error_report(write, bad, varied(4))
    assert report.format == "chat"
    assert report.examples == 5 and report.invalid_examples == 1
    assert report.errors[category].count == 1 and report.errors[category].lines == [3]
    assert not report.usable and report.exit_code == 1


@pytest.mark.parametrize(("category", "bad"), PREFERENCE_ERRORS)
def test_each_preference_error_is_counted_on_its_line(
    write: Writer, category: str, bad: Line
) -> None:
    report = _error_report(write, bad, [preference(i) for i in range(4)])
    assert report.format == "preference"
    assert report.examples == 5 and report.invalid_examples == 1
    assert report.errors[category].lines == [3]


VALID_CHAT: list[dict[str, Any]] = [
    with_user(content=[{"type": "text", "text": "Where is"}, {"type": "text", "text": "it?"}]),
    messages({"role": "developer", "content": "Be brief."}, USER, REPLY),
    messages(USER, {"role": "assistant", "content": None, "tool_calls": [CALL]},
             {"role": "tool", "tool_call_id": "call_1", "content": '{"at": "depot"}'}, REPLY,
             tools=[{"type": "function", "function": {
                 "name": "track", "parameters": {"type": "object", "properties": {}}}}],
             parallel_tool_calls=False),
    messages(USER, {**REPLY, "weight": 0}, USER, {**REPLY, "weight": 1}),
    messages(USER, {"role": "assistant", "refusal": "I can't help with that."}),
    messages(USER, {"role": "assistant", "content": None,
                    "function_call": {"name": "track", "arguments": "{}"}},
             {"role": "function", "name": "track", "content": "{}"}, REPLY,
             functions=[{"name": "track", "parameters": {}}]),
    with_user(content="Format: [INST] question [/INST] and <b>bold</b>"),
    with_user(name="ann_smith-2"),
]


@pytest.mark.parametrize("example", VALID_CHAT)
def test_valid_chat_shapes_pass(write: Writer, example: dict[str, Any]) -> None:
    report = validate_dataset(write([example]), min_examples=1)
    assert report.errors == {} and report.usable and report.exit_code == 0


def test_image_parts_are_accepted_for_users_but_not_counted(write: Writer) -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    example = with_user(content=[{"type": "text", "text": "What is this?"}, image])
    report = validate_dataset(write([example]), min_examples=1)
    assert report.usable and report.warnings["images_not_counted"].lines == [1]


def test_format_detection() -> None:
    assert detect_format([chat()]) == "chat"
    assert detect_format([preference()]) == "preference"
    assert detect_format([None, [1], "x", {"other": 1}, preference()]) == "preference"
    assert detect_format([{"other": 1}, 5]) == "unknown"
    assert detect_format([]) == "unknown"


def test_format_of_a_file_comes_from_its_first_objects(write: Writer, tmp_path: Path) -> None:
    assert validate_dataset(write(["junk", preference()])).format == "preference"
    report = validate_dataset(write([{"prompt": "a", "completion": "b"}] * 3), min_examples=1)
    assert report.format == "unknown" and report.errors["missing_messages"].count == 3
    assert not report.usable


def test_a_chat_line_in_a_preference_file_is_invalid() -> None:
    checked = check_example(chat(), "preference")
    assert {"unknown_keys", "missing_input", "missing_preferred_output"} <= checked.errors


def test_an_example_with_many_problems_counts_once_per_category(write: Writer) -> None:
    bad = messages({"role": "bot", "content": ""}, {**USER, "content": 3, "x": 1}, USER)
    report = validate_dataset(write([bad]), min_examples=0)
    assert report.invalid_examples == 1
    assert {"unknown_role", "invalid_content", "unknown_keys",
            "no_assistant_message"} <= report.errors.keys()
