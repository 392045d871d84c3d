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


def _estimate(**probs: float) -> dict[Verdict, float]:
    rest = (1 - sum(probs.values())) / (len(Verdict) - len(probs))
    return {v: probs.get(v.value, rest) for v in Verdict}


def test_the_model_overrules_only_a_verdict_it_all_but_excludes() -> None:
    sig = signals({"tone_style": 0.2}, prompting="exhausted", examples=3000)
    assert decide(sig, TODAY).verdict is Verdict.FINE_TUNE
    doubtful = _estimate(fine_tune=0.2, collect_data=0.7)
    assert decide(sig, TODAY, estimate=doubtful).verdict is Verdict.FINE_TUNE
    excluded = _estimate(fine_tune=0.03, collect_data=0.9)
    assert decide(sig, TODAY, estimate=excluded).verdict is Verdict.COLLECT_DATA


def test_reasons_follow_the_overruling_verdict() -> None:
    # The rules read a tone goal; the model sees a knowledge need the rules scored lower.
    sig = signals({"tone_style": 0.2, "know_documents": 0.03}, prompting="exhausted",
                  examples=3000)
    decision = decide(sig, TODAY, estimate=_estimate(rag=0.95))
    assert decision.verdict is Verdict.RAG
    assert decision.goal is not None and decision.goal.value == "know_documents"
    assert "Fine-tuning fits" not in decision.headline
    # With no knowledge goal in the signals at all, the RAG answer names none.
    plain = decide(signals({"tone_style": 0.2}, prompting="exhausted", examples=3000),
                   TODAY, estimate=_estimate(rag=0.95))
    assert plain.verdict is Verdict.RAG and plain.goal is None
    assert plain.follow_up_questions


def test_an_overruled_unclear_keeps_the_follow_up_questions() -> None:
    sig = signals({"output_format": 0.2}, prompting="exhausted", examples=2000)
    decision = decide(sig, TODAY, estimate=_estimate(unclear=0.9))
    assert decision.verdict is Verdict.UNCLEAR
    assert decision.goal is not None and decision.goal.value == "output_format"
    assert len(decision.follow_up_questions) >= 2
