"""The progress record format shared by the training entrypoint (writer) and the runners
(readers). Standard library only: the bot process imports this, never torch.

One JSON object per line, in OUTPUT_DIR/progress.jsonl and, prefixed with `PREFIX`, on
stdout (so a runner that sees only the job's logs, like Ray's, reads the same records):

- `{"event": "start", "total_steps", "examples", "skipped"}` once training begins;
- `{"step", "total_steps", "epoch", "loss", "learning_rate", "tokens_per_s", "eta_s"}` per
  logging step, and `{"step", "total_steps", "epoch", "eval_loss"}` per evaluation;
- finally `{"event": "done", "trained_tokens", "final_eval_loss", "adapter", "loss_curve"}`
  or `{"event": "error", "message"}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bot.jobs.backend import BackendEvent, Outcome, Progress

PREFIX = "FT-PROGRESS "
_PROGRESS_FIELDS = tuple(f.name for f in fields(Progress))


class ProgressLog:
    """Appends records to a JSON-lines file and echoes them, prefixed, on stdout."""

    def __init__(self, path: Path, *, echo: bool = True) -> None:
        self.path = path
        self.echo = echo

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        if self.echo:
            print(PREFIX + line, file=sys.stdout, flush=True)


@dataclass(frozen=True)
class Summary:
    """What the records say: progress so far, events from `cursor` on, how it ended."""

    progress: Progress | None
    events: list[BackendEvent]
    cursor: int  # offset just past the last complete line
    done: dict[str, Any] | None
    error: str | None


def summarize(text: str, cursor: int = 0, *, prefix: str = "") -> Summary:
    """Read every complete record line of `text` (lines not starting with `prefix`, or
    not JSON objects, are skipped); events are made only from lines at or after `cursor`."""
    latest: dict[str, Any] = {}
    events: list[BackendEvent] = []
    done: dict[str, Any] | None = None
    error: str | None = None
    offset = 0
    end = 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        if not line.endswith("\n"):
            break  # still being written
        end = offset
        record = _parse(line, prefix)
        if record is None:
            continue
        kind = record.get("event")
        if kind == "done":
            done = record
        elif kind == "error":
            error = str(record.get("message") or "training failed")
        elif kind is None:
            latest.update({k: record[k] for k in _PROGRESS_FIELDS if record.get(k) is not None})
        message = _event_message(record)
        if message is not None and start >= cursor:
            level = "error" if kind == "error" else "info"
            events.append(BackendEvent(id=f"p{start}", message=message, level=level))
    progress = Progress(**latest) if latest else None
    return Summary(progress, events, max(end, cursor), done, error)


def outcome(done: dict[str, Any]) -> Outcome:
    """The Outcome a `done` record describes."""
    return Outcome(
        model=done.get("adapter"),
        trained_tokens=done.get("trained_tokens"),
        final_eval_loss=done.get("final_eval_loss"),
        loss_curve=done.get("loss_curve"),
    )


def parse_cursor(cursor: str | None) -> int:
    try:
        return max(0, int(cursor or 0))
    except ValueError:
        return 0


def _parse(line: str, prefix: str) -> dict[str, Any] | None:
    if prefix:
        at = line.find(prefix)  # log collectors may put a timestamp first
        if at < 0:
            return None
        line = line[at + len(prefix) :]
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _event_message(record: dict[str, Any]) -> str | None:
    kind = record.get("event")
    if kind == "start":
        text = f"Training started: {record.get('total_steps')} steps"
        text += f" over {record.get('examples')} examples"
        if record.get("skipped"):
            text += f" ({record['skipped']} skipped: no assistant tokens within max_seq_length)"
        return text
    if kind == "done":
        text = f"Training finished: {record.get('trained_tokens') or 0:,} tokens trained"
        if record.get("final_eval_loss") is not None:
            text += f", final validation loss {record['final_eval_loss']:.4f}"
        return text
    if kind == "error":
        return f"Training failed: {record.get('message')}"
    if record.get("eval_loss") is not None:
        return (
            f"Step {record.get('step')}/{record.get('total_steps')}: "
            f"validation loss {record['eval_loss']:.4f}"
        )
    return None
