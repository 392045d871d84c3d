"""What a checklist run produced: an item per question with pass / fail / unknown,
and the dataset it was run on, so a launch can prove it is the same data."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from bot.advice.framework import Citation
from bot.checklist.answers import ChecklistAnswers


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


ICONS = {Status.PASS: "✅", Status.FAIL: "❌", Status.UNKNOWN: "❔"}


class CitationRef(BaseModel):
    path: str
    section: str

    @classmethod
    def of(cls, citation: Citation) -> CitationRef:
        return cls(path=citation.path, section=citation.section)


class Item(BaseModel):
    key: str
    title: str
    status: Status
    reason: str
    citation: CitationRef


class DatasetRef(BaseModel):
    """The files a launch will train and evaluate on, by content hash."""

    source: str
    sha256: str
    train_file: str
    train_sha256: str
    validation_file: str | None = None
    validation_sha256: str | None = None
    train_examples: int
    validation_examples: int | None = None


class ChecklistResult(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    requested_by: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    answers: ChecklistAnswers
    items: list[Item]
    dataset: DatasetRef | None = None
    validation: dict[str, Any] | None = None  # the ValidationReport as JSON
    costs: dict[str, Any] | None = None  # the CostTable as JSON
    cost_text: str | None = None

    @property
    def passed(self) -> bool:
        return all(item.status is Status.PASS for item in self.items)

    def summary(self) -> str:
        counts = {s: sum(i.status is s for i in self.items) for s in Status}
        verdict = "ready to launch" if self.passed else "not ready to launch"
        return (f"Checklist {self.id}: {verdict} — {counts[Status.PASS]} passed, "
                f"{counts[Status.FAIL]} failed, {counts[Status.UNKNOWN]} unknown.")

    def as_text(self) -> str:
        lines = [self.summary(), ""]
        for item in self.items:
            lines.append(f"{ICONS[item.status]} {item.title}: {item.reason}")
            lines.append(f"    [{item.citation.path} › {item.citation.section}]")
        if self.cost_text:
            lines += ["", self.cost_text]
        return "\n".join(lines)

    def to_json_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["passed"] = self.passed
        return data
