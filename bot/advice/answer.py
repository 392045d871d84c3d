"""The answer a user sees, and the offline composer that writes it without an LLM.

The composer only states the verdict's reasons, and every reason is a framework
`Rule` tied to a knowledge section; the section's passage is fetched and cited
next to the statement, so each sentence can be checked against its source.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.advice.framework import Citation, Rule
from bot.advice.verdict import Decision
from bot.rag.retrieve import Passage


@dataclass(frozen=True)
class Source:
    title: str
    path: str
    section: str
    snippet: str
    score: float

    @classmethod
    def of(cls, passage: Passage) -> Source:
        return cls(passage.title, passage.path, passage.section, passage.snippet,
                   passage.score)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "path": self.path, "section": self.section,
                "snippet": self.snippet, "score": self.score}


@dataclass
class Answer:
    verdict: str
    headline: str
    answer: str
    sources: list[Source]
    follow_up_questions: list[str]
    signals: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "headline": self.headline,
            "answer": self.answer,
            "sources": [s.to_dict() for s in self.sources],
            "follow_up_questions": self.follow_up_questions,
            "signals": self.signals,
            "id": self.id,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def as_text(self) -> str:
        lines = [f"Verdict: {self.verdict} — {self.headline}", "", self.answer]
        if self.follow_up_questions:
            lines += ["", "To firm this up, tell me:"]
            lines += [f"  - {q}" for q in self.follow_up_questions]
        if self.sources:
            lines += ["", "Sources:"]
            lines += [f"  [{i}] {s.title} › {s.section} ({s.path}, score {s.score:.2f})"
                      for i, s in enumerate(self.sources, 1)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Evidence:
    """What a writer gets: the decision, each reason with its numbered source, and
    further related passages (numbered after the cited ones)."""

    decision: Decision
    reasons: list[tuple[Rule, int]]  # rule, 1-based index into `sources`
    sources: list[Source]
    related: list[int]  # indexes of sources retrieved for the question, not cited


class Writer(Protocol):
    def write(self, conversation: Sequence[str], evidence: Evidence) -> str: ...


def gather_evidence(
    decision: Decision, cited: dict[Citation, Passage], retrieved: list[Passage]
) -> Evidence:
    """Number the sources: cited sections first (in reason order), then retrieved
    passages that add a section not cited yet. Reasons whose section is missing
    from the store are dropped rather than stated without a source."""
    sources: list[Source] = []
    index: dict[tuple[str, str], int] = {}
    reasons: list[tuple[Rule, int]] = []
    for rule in decision.reasons:
        passage = cited.get(rule.citation)
        if passage is None:
            continue
        key = (passage.path, passage.section)
        if key not in index:
            sources.append(Source.of(passage))
            index[key] = len(sources)
        reasons.append((rule, index[key]))
    related = []
    for passage in retrieved:
        key = (passage.path, passage.section)
        if key not in index:
            sources.append(Source.of(passage))
            index[key] = len(sources)
            related.append(index[key])
    return Evidence(decision, reasons, sources, related)


class OfflineWriter:
    """Composes the answer from the reasons and their cited passages. No LLM."""

    def write(self, conversation: Sequence[str], evidence: Evidence) -> str:
        # Consecutive statements backed by the same source share a paragraph.
        paragraphs: list[str] = []
        previous = 0
        for rule, n in evidence.reasons:
            if n == previous:
                paragraphs[-1] = f"{paragraphs[-1][: -len(f' [{n}]')]} {rule.text} [{n}]"
            else:
                paragraphs.append(f"{rule.text} [{n}]")
            previous = n
        if evidence.related:
            refs = ", ".join(
                f"{evidence.sources[n - 1].section} [{n}]" for n in evidence.related
            )
            paragraphs.append(f"Related guidance: {refs}.")
        return "\n\n".join(paragraphs)


def build_answer(evidence: Evidence, text: str, signals: dict[str, Any]) -> Answer:
    decision = evidence.decision
    return Answer(
        verdict=decision.verdict.value,
        headline=decision.headline,
        answer=text,
        sources=evidence.sources,
        follow_up_questions=list(decision.follow_up_questions),
        signals=signals,
    )
