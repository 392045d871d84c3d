"""Small JSONL files written by the tests, and example builders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

Line = dict[str, Any] | bytes | str
Writer = Callable[..., Path]


def chat(user: str = "What is the refund window?", reply: str = "Thirty days from delivery.",
         system: str | None = "You answer billing questions.", **extra: Any) -> dict[str, Any]:
    """A valid chat example."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
    return {"messages": messages, **extra}


def varied(count: int, start: int = 0) -> list[dict[str, Any]]:
    """`count` distinct valid chat examples."""
    return [chat(user=f"Question number {i} about order {i * 7}?",
                 reply=f"Answer {i}: the order ships in {i % 9 + 1} days.")
            for i in range(start, start + count)]


def preference(i: int = 0, **changes: Any) -> dict[str, Any]:
    """A valid preference (DPO) example."""
    example: dict[str, Any] = {
        "input": {"messages": [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": f"Summarise ticket {i}."}]},
        "preferred_output": [{"role": "assistant", "content": f"Ticket {i}: refund sent."}],
        "non_preferred_output": [{"role": "assistant",
                                  "content": f"Well, about ticket {i}, let me think at length."}],
    }
    example.update(changes)
    return example


def encode(line: Line) -> bytes:
    if isinstance(line, bytes):
        return line
    if isinstance(line, str):
        return line.encode()
    return orjson.dumps(line)


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """write(lines, name=...) -> path; each line a dict (as JSON), str or raw bytes."""
    def writer(lines: list[Line], name: str = "train.jsonl") -> Path:
        path = tmp_path / name
        path.write_bytes(b"".join(encode(line) + b"\n" for line in lines))
        return path

    return writer
