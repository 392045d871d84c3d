"""Datasets written by the tests: chat JSONL a team could really train on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

QUEUES = ["billing", "refunds", "shipping", "login", "bug", "feature", "cancel", "other"]


def ticket(i: int) -> dict[str, object]:
    queue = QUEUES[i % len(QUEUES)]
    return {"messages": [
        {"role": "system", "content": "Route the ticket to one queue. Reply with the label."},
        {"role": "user", "content": f"Ticket #{i}: customer {i * 7 % 1000} writes about "
                                    f"{queue} issue number {i} in order {i * 13}."},
        {"role": "assistant", "content": queue},
    ]}


@pytest.fixture
def write_dataset(tmp_path: Path) -> Callable[..., Path]:
    def write(n: int, name: str = "train.jsonl", start: int = 0,
              extra_lines: tuple[str, ...] = ()) -> Path:
        path = tmp_path / name
        lines = [json.dumps(ticket(i)) for i in range(start, start + n)]
        path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
        return path

    return write
