"""Held-out examples: reading the validation JSONL and applying the system prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.evaluation.examples import load_held_out, with_system_prompt


def _write(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    return path


def test_prompt_is_every_message_but_the_reference(tmp_path: Path) -> None:
    record = {"messages": [
        {"role": "system", "content": "Label it."},
        {"role": "user", "content": "Invoice wrong"},
        {"role": "assistant", "content": [{"type": "text", "text": "billing"}], "weight": 1},
    ]}
    [example] = load_held_out(_write(tmp_path / "val.jsonl", [record]))
    assert example.reference == "billing"
    assert example.prompt == record["messages"][:2]


def test_weight_is_not_sent_to_the_model(tmp_path: Path) -> None:
    record = {"messages": [{"role": "user", "content": "hi"},
                           {"role": "assistant", "content": "x", "weight": 0},
                           {"role": "user", "content": "again"},
                           {"role": "assistant", "content": "y"}]}
    [example] = load_held_out(_write(tmp_path / "val.jsonl", [record]))
    assert all("weight" not in m for m in example.prompt)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "at least"),
        ({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
         "last message"),
        ({"input": {}}, '"messages"'),
    ],
)
def test_unusable_lines_are_named(tmp_path: Path, record: object, problem: str) -> None:
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    with pytest.raises(InputError, match=f"line 2: .*{problem}"):
        load_held_out(_write(tmp_path / "val.jsonl", [good, record]))


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot read"):
        load_held_out(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no examples"):
        load_held_out(_write(tmp_path / "empty.jsonl", []))


def test_with_system_prompt() -> None:
    prompt = [{"role": "developer", "content": "old"}, {"role": "user", "content": "q"}]
    assert with_system_prompt(prompt, None) == prompt
    assert with_system_prompt(prompt, "new") == [{"role": "system", "content": "new"},
                                                 {"role": "user", "content": "q"}]
