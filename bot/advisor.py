"""Answers a conversation: signals -> verdict -> retrieved, cited passages -> text."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence

from bot.advice.answer import Answer, OfflineWriter, Writer, build_answer, gather_evidence
from bot.advice.framework import Goal, Verdict
from bot.advice.signals import EncodeUnits, ExemplarIndex, extract_signals
from bot.advice.verdict import decide
from bot.inputs import clean_question
from bot.rag.retrieve import Retriever

log = logging.getLogger(__name__)
RETRIEVAL_TURNS = 3  # recent user turns that form the retrieval query
# turns -> probability of each verdict (`VerdictModel.probabilities`)
Estimate = Callable[[Sequence[str]], Mapping[Verdict, float]]


class Advisor:
    def __init__(
        self,
        encode_units: EncodeUnits,
        index: ExemplarIndex,
        retriever: Retriever,
        writer: Writer,
        today: Callable[[], dt.date],
        top_k: int = 4,
        estimate: Estimate | None = None,
    ) -> None:
        self._encode_units = encode_units
        self._index = index
        self._retriever = retriever
        self._writer = writer
        self._today = today
        self._top_k = top_k
        self._estimate = estimate
        self._fallback = OfflineWriter()

    def answer(self, conversation: Sequence[str]) -> Answer:
        """Answer the last user turn, using every earlier turn as context."""
        turns = [clean_question(turn) for turn in conversation]
        signals = extract_signals(turns, self._encode_units, self._index)
        estimate = self._estimate(turns) if self._estimate else None
        decision = decide(signals, self._today(), turns[-1], estimate)
        # Retrieval reads the recent thread ("we have 2k examples" alone retrieves
        # nothing useful); for a single question this reuses its cached token states.
        query = "\n".join(turns[-RETRIEVAL_TURNS:])
        query_vector = self._encode_units(query, [query])[0]
        cited = self._retriever.sections([r.citation for r in decision.reasons], query_vector)
        retrieved = self._retriever.search(query_vector, self._top_k)
        evidence = gather_evidence(decision, cited, retrieved)
        try:
            text = self._writer.write(turns, evidence)
        except Exception:
            if isinstance(self._writer, OfflineWriter):
                raise
            log.warning("LLM writer failed; using the offline composer", exc_info=True)
            text = self._fallback.write(turns, evidence)
        facts = signals.to_dict()
        if estimate is not None:
            facts["model_estimate"] = {v.value: round(p, 3) for v, p in estimate.items()}
        return build_answer(evidence, text, facts)


def read_goal(text: str, encode_units: EncodeUnits, index: ExemplarIndex,
              today: dt.date) -> Goal | None:
    """The goal a use-case description is about, as the verdict engine reads it;
    None when no goal is clear enough to act on."""
    signals = extract_signals([clean_question(text)], encode_units, index)
    return decide(signals, today).goal
