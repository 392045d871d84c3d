"""Held-out examples: an OpenAI chat JSONL line split into the prompt (every message but
the last) and the reference (the final assistant reply)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bot.errors import InputError

Message = dict[str, Any]
SYSTEM_ROLES = frozenset({"system", "developer"})
_REQUEST_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "function_call")


@dataclass(frozen=True)
class HeldOutExample:
    prompt: list[Message]  # the messages sent to a model
    reference: str  # the assistant reply the model should have given


def text_of(content: object) -> str | None:
    """A message's text: a string, or the joined text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p["text"] for p in content
                 if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def example_from(record: object) -> HeldOutExample:
    """One chat record; raises ValueError saying what is wrong with it."""
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        raise ValueError('expected an object with a "messages" list')
    messages = record["messages"]
    if len(messages) < 2 or not all(isinstance(m, dict) for m in messages):
        raise ValueError("expected at least a prompt message and the assistant reply")
    last = messages[-1]
    reference = text_of(last.get("content"))
    if last.get("role") != "assistant" or reference is None:
        raise ValueError("the last message must be an assistant reply with text content")
    prompt = [{k: m[k] for k in _REQUEST_KEYS if k in m} for m in messages[:-1]]
    return HeldOutExample(prompt=prompt, reference=reference)


def load_held_out(path: Path) -> list[HeldOutExample]:
    """The examples of a chat JSONL file (blank lines skipped)."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"Cannot read the held-out set {path}: {exc.strerror}.") from exc
    examples: list[HeldOutExample] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            examples.append(example_from(orjson.loads(line)))
        except ValueError as exc:  # orjson.JSONDecodeError is one
            raise InputError(f"{path}, line {number}: {exc}. Evaluation needs chat examples "
                             "whose last message is the reference assistant reply.") from exc
    if not examples:
        raise InputError(f"The held-out set {path} holds no examples.")
    return examples


def with_system_prompt(prompt: Sequence[Message], system_prompt: str | None) -> list[Message]:
    """`prompt` with its system/developer messages replaced by `system_prompt` (first);
    unchanged when no system prompt is given."""
    if system_prompt is None:
        return list(prompt)
    rest = [m for m in prompt if m.get("role") not in SYSTEM_ROLES]
    return [{"role": "system", "content": system_prompt}, *rest]
