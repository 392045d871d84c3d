"""Chat JSONL files to token ids and labels, with the loss on assistant tokens only.

The assistant spans come from the tokenizer's own chat template: for each assistant
message i, the text of the conversation up to message i with the generation prompt ends
where that reply begins, and the text of messages[:i+1] ends where it ends (its
end-of-turn token included, so the model learns to stop). Tokens are then labelled by
their character offsets, so template prefixes never have to tokenize on their own.
Standard library only, so a bad file fails before torch is imported."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

IGNORE_INDEX = -100  # label value the loss skips


class DataError(ValueError):
    """A problem with the job's data or tokenizer; `str()` is plain words for users."""


class ChatTokenizer(Protocol):
    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Chat:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None


def read_chats(path: Path, sha256: str | None = None, *, what: str = "training") -> list[Chat]:
    """Parse an OpenAI chat JSONL file; with `sha256`, refuse a file that changed since
    it was checked."""
    if not path.is_file():
        raise DataError(f"The {what} file was not found: {path}")
    digest = hashlib.sha256()
    chats: list[Chat] = []
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            digest.update(raw)
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except ValueError:
                raise DataError(f"Line {number} of the {what} file is not valid JSON.") from None
            messages = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(messages, list) or not messages:
                raise DataError(f"Line {number} of the {what} file has no 'messages' list.")
            chats.append(Chat(messages, row.get("tools")))
    if sha256 and digest.hexdigest() != sha256:
        raise DataError(f"The {what} file changed after it was checked: {path}")
    if not chats:
        raise DataError(f"The {what} file is empty: {path}")
    return chats


def assistant_spans(tokenizer: ChatTokenizer, chat: Chat) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its trained assistant
    replies (an assistant message with `"weight": 0` is not trained on)."""

    def render(messages: Sequence[dict[str, Any]], prompt: bool) -> str:
        text = tokenizer.apply_chat_template(
            list(messages), tools=chat.tools, tokenize=False, add_generation_prompt=prompt
        )
        return str(text)

    text = render(chat.messages, False)
    spans = []
    for i, message in enumerate(chat.messages):
        if message.get("role") != "assistant" or message.get("weight", 1) == 0:
            continue
        before, through = render(chat.messages[:i], True), render(chat.messages[: i + 1], False)
        if not (text.startswith(through) and through.startswith(before)):
            raise DataError(
                "The base model's chat template renders a conversation differently from "
                "its beginning, so the assistant replies cannot be located for masking."
            )
        spans.append((len(before), len(through)))
    return text, spans


def encode(tokenizer: ChatTokenizer, chat: Chat, max_length: int) -> dict[str, list[int]]:
    """`input_ids` of the rendered chat (truncated to `max_length`) and `labels`: the
    token id on assistant tokens, IGNORE_INDEX everywhere else."""
    text, spans = assistant_spans(tokenizer, chat)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(encoding["input_ids"][:max_length])
    offsets = encoding["offset_mapping"][:max_length]
    labels = [
        token if any(start <= at < end for start, end in spans) else IGNORE_INDEX
        for token, (at, _) in zip(ids, offsets, strict=True)
    ]
    return {"input_ids": ids, "labels": labels}


def encode_all(
    tokenizer: ChatTokenizer, chats: Sequence[Chat], max_length: int
) -> tuple[list[dict[str, list[int]]], int]:
    """Encoded examples, leaving out those with no assistant token within
    `max_length`; and how many were left out."""
    examples = [encode(tokenizer, chat, max_length) for chat in chats]
    kept = [e for e in examples if any(label != IGNORE_INDEX for label in e["labels"])]
    return kept, len(examples) - len(kept)
