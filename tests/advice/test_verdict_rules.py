"""The decision rules on hand-built signals: every branch, no model involved."""

import datetime as dt

import pytest

from bot.advice.framework import Verdict
from bot.advice.signals import Signals
from bot.advice.verdict import decide

TODAY = dt.date(2026, 11, 28)


def signals(goals: dict[str, float] | None = None, **kw: object) -> Signals:
    return Signals(goals=goals or {}, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sig", "verdict"),
    [
        (signals(), Verdict.UNCLEAR),
        (signals({"know_documents": 0.2}), Verdict.RAG),
        (signals({"recent_knowledge": 0.2}, prompting="exhausted", examples=20000), Verdict.RAG),
        (signals({"factual_accuracy": 0.2}), Verdict.RAG),
        (signals({"complex_instructions": 0.2}), Verdict.PROMPT),
        (signals({"output_format": 0.2}), Verdict.PROMPT),
        (signals({"tone_style": 0.2}, prompting="not_tried", examples=5000), Verdict.PROMPT),
        (signals({"tone_style": 0.2}, prompting="exhausted"), Verdict.UNCLEAR),
        (signals({"tone_style": 0.2}, prompting="exhausted", examples=120), Verdict.COLLECT_DATA),
        (signals({"task_specialisation": 0.2}, prompting="exhausted", examples=499),
         Verdict.COLLECT_DATA),
        (signals({"task_specialisation": 0.2}, prompting="exhausted", examples=500),
         Verdict.FINE_TUNE),
        (signals({"cost_latency": 0.2}, examples=15000), Verdict.FINE_TUNE),
        (
            signals({"output_format": 0.2}, prompting="exhausted", examples=9000,
                    data_quality="unreviewed"),
            Verdict.COLLECT_DATA,
        ),
        # after prompting work, named rules brush against instruction-following ...
        (signals({"complex_instructions": 0.2, "task_specialisation": 0.15},
                 prompting="exhausted", examples=3000), Verdict.FINE_TUNE),
        # ... unless grammar says the model ignores the rules it was given
        (signals({"complex_instructions": 0.2, "task_specialisation": 0.15},
                 prompting="exhausted", examples=3000, instructions_ignored=True),
         Verdict.PROMPT),
        (signals(prompting="not_tried"), Verdict.PROMPT),
    ],
)
def test_branches(sig: Signals, verdict: Verdict) -> None:
    assert decide(sig, TODAY).verdict is verdict


def test_knowledge_goal_must_clearly_beat_a_behaviour_goal() -> None:
    close = signals({"tone_style": 0.15, "know_documents": 0.17}, prompting="exhausted",
                    examples=3000)
    clear = signals({"tone_style": 0.05, "know_documents": 0.2}, prompting="exhausted",
                    examples=3000)
    assert decide(close, TODAY).verdict is Verdict.FINE_TUNE
    assert decide(clear, TODAY).verdict is Verdict.RAG


def test_retrieval_in_place_leaves_the_behaviour_goal() -> None:
    sig = signals({"tone_style": 0.1, "know_documents": 0.3}, knowledge_base="in_place",
                  prompting="exhausted", examples=2000, data_quality="reviewed")
    assert decide(sig, TODAY).verdict is Verdict.FINE_TUNE


def test_goal_below_threshold_is_ignored() -> None:
    assert decide(signals({"tone_style": 0.01}), TODAY).verdict is Verdict.UNCLEAR


def test_every_verdict_has_reasons_and_unclear_asks_questions() -> None:
    decision = decide(signals(), TODAY)
    assert decision.reasons
    assert any("labelled examples" in q for q in decision.follow_up_questions)


def test_fine_tune_reflects_openai_dates_against_today() -> None:
    sig = signals({"output_format": 0.3}, prompting="exhausted", examples=3000,
                  data_quality="reviewed")
    before = " ".join(r.text for r in decide(sig, dt.date(2026, 11, 28)).reasons)
    after = " ".join(r.text for r in decide(sig, dt.date(2027, 2, 1)).reasons)
    assert "39 days from today" in before
    assert "stops accepting new fine-tuning jobs" in before
    assert "Since 6 January 2027 it accepts no new fine-tuning jobs" in after
    assert "days from today" not in after


def test_openai_status_only_when_relevant() -> None:
    rag = decide(signals({"know_documents": 0.3}), TODAY)
    rag_openai = decide(signals({"know_documents": 0.3}, mentions_openai=True), TODAY)
    assert not any("OpenAI" in r.text for r in rag.reasons)
    assert any("OpenAI" in r.text for r in rag_openai.reasons)
