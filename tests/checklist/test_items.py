"""Each checklist item on passing, failing and unanswered facts."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.advice.framework import Goal
from bot.checklist import items
from bot.checklist.answers import ChecklistAnswers, KnowledgeBase, Prompting
from bot.checklist.result import Status

TODAY = dt.date(2026, 11, 28)


def answers(**kw: object) -> ChecklistAnswers:
    return ChecklistAnswers.model_validate(kw)


@pytest.mark.parametrize("goal", [Goal.OUTPUT_FORMAT, Goal.TONE_STYLE,
                                  Goal.TASK_SPECIALISATION, Goal.COST_LATENCY])
def test_use_case_passes_for_the_four_cases(goal: Goal) -> None:
    item = items.use_case(goal, "as answered")
    assert item.status is Status.PASS
    assert item.citation.path == "02-when-fine-tuning-helps.md"


@pytest.mark.parametrize(("goal", "alternative"), [
    (Goal.KNOW_DOCUMENTS, "knowledge base"), (Goal.FACTUAL_ACCURACY, "knowledge base"),
    (Goal.RECENT_KNOWLEDGE, "knowledge base"), (Goal.COMPLEX_INSTRUCTIONS, "prompt"),
])
def test_use_case_fails_with_the_alternative_named(goal: Goal, alternative: str) -> None:
    item = items.use_case(goal, "read from the use case")
    assert item.status is Status.FAIL
    assert alternative in item.reason
    assert item.citation.path == "04-when-fine-tuning-does-not-help.md"


def test_use_case_unknown_without_a_goal() -> None:
    assert items.use_case(None, "").status is Status.UNKNOWN


@pytest.mark.parametrize(("tried", "baseline", "status"), [
    ([], None, Status.UNKNOWN),
    ([], "81% exact match", Status.FAIL),
    (["few-shot examples", "JSON schema"], None, Status.UNKNOWN),
    (["few-shot examples"], "pretty good", Status.UNKNOWN),
    (["few-shot examples", "JSON schema"], "81% exact match on 200 cases", Status.PASS),
    (["  "], "12% failure rate", Status.FAIL),
])
def test_prompting(tried: list[str], baseline: str | None, status: Status) -> None:
    item = items.prompting(answers(prompting=Prompting(tried=tried, baseline=baseline)))
    assert item.status is status


MEASURED = items.BaselineFacts(score=0.78, evaluator="exact_match", examples=400,
                               model="gpt-4.1-mini", measured_on=dt.date(2026, 11, 20))
MEASURED_TEXT = ("baseline measured by ft-advisor: 78.0% exact_match on 400 held-out "
                 "examples (gpt-4.1-mini, 2026-11-20)")


@pytest.mark.parametrize(("tried", "baseline", "status", "reason"), [
    (["few-shot examples"], None, Status.PASS, f"Tried: few-shot examples; {MEASURED_TEXT}."),
    (["few-shot examples"], "pretty good", Status.PASS,
     f"Tried: few-shot examples; baseline: pretty good; {MEASURED_TEXT}."),
    ([], None, Status.FAIL, f"No prompt engineering is recorded ({MEASURED_TEXT}): list "
                            "what was tried, or try a better prompt first."),
])
def test_prompting_with_a_measured_baseline(tried: list[str], baseline: str | None,
                                            status: Status, reason: str) -> None:
    item = items.prompting(answers(prompting=Prompting(tried=tried, baseline=baseline)),
                           MEASURED)
    assert (item.status, item.reason) == (status, reason)


@pytest.mark.parametrize(("kb", "goal", "status"), [
    (None, Goal.TONE_STYLE, Status.UNKNOWN),
    (KnowledgeBase.NOT_NEEDED, Goal.TONE_STYLE, Status.PASS),
    (KnowledgeBase.NOT_NEEDED, Goal.KNOW_DOCUMENTS, Status.FAIL),
    (KnowledgeBase.IN_PLACE, Goal.KNOW_DOCUMENTS, Status.PASS),
    (KnowledgeBase.CONSIDERED, Goal.OUTPUT_FORMAT, Status.PASS),
    (KnowledgeBase.NOT_CONSIDERED, Goal.OUTPUT_FORMAT, Status.FAIL),
])
def test_knowledge_base(kb: KnowledgeBase | None, goal: Goal, status: Status) -> None:
    assert items.knowledge_base(answers(knowledge_base=kb), goal).status is status


def dataset(valid: int, usable: bool = True) -> items.DatasetFacts:
    return items.DatasetFacts(valid, usable, "" if usable else "invalid json ×2 (lines 3, 9)",
                              "")


@pytest.mark.parametrize(("facts", "stated", "reviewer", "status", "words"), [
    (None, None, "Ana", Status.UNKNOWN, "Attach"),
    (dataset(5), None, "Ana", Status.FAIL, "minimum of 10"),
    (dataset(499), None, "Ana", Status.FAIL, "collect more"),
    (dataset(500), None, None, Status.UNKNOWN, "who checked"),
    (dataset(500), None, "Ana and Bo", Status.PASS, "reviewed by Ana and Bo"),
    (None, 2000, "Ana", Status.PASS, "as stated"),
    (dataset(300), 5000, "Ana", Status.FAIL, "counted in the dataset"),
])
def test_data_sufficient(facts: items.DatasetFacts | None, stated: int | None,
                         reviewer: str | None, status: Status, words: str) -> None:
    item = items.data_sufficient(answers(examples=stated, reviewed_by=reviewer), facts, 10)
    assert item.status is status
    assert words in item.reason


def test_dataset_valid() -> None:
    assert items.dataset_valid(None).status is Status.UNKNOWN
    failing = items.dataset_valid(dataset(600, usable=False))
    assert failing.status is Status.FAIL and "lines 3, 9" in failing.reason
    assert items.dataset_valid(dataset(600)).status is Status.PASS


def test_held_out() -> None:
    assert items.held_out(None).status is Status.UNKNOWN
    assert "blocking errors" in items.held_out(None, blocked=True).reason
    ok = items.HoldoutFacts("a 10% split", 900, 100, 0, True)
    assert items.held_out(ok).status is Status.PASS
    overlap = items.HoldoutFacts("the validation file v.jsonl", 900, 100, 7, True)
    assert items.held_out(overlap).status is Status.FAIL
    empty = items.HoldoutFacts("the validation file v.jsonl", 900, 0, 0, False)
    assert items.held_out(empty).status is Status.FAIL


def backend(name: str, key: bool = True, problem: str | None = None) -> items.BackendFacts:
    return items.BackendFacts(name, 10, key, "local", problem)


def test_lora_backend() -> None:
    assert items.backend_available(backend("lora"), answers(), TODAY).status is Status.UNKNOWN
    named = answers(base_model="Qwen/Qwen2.5-7B-Instruct")
    assert items.backend_available(backend("lora"), named, TODAY).status is Status.PASS
    broken = backend("lora", problem="RAY_ADDRESS is not set.")
    assert items.backend_available(broken, named, TODAY).status is Status.FAIL


@pytest.mark.parametrize(("today", "key", "eligible", "status", "words"), [
    (dt.date(2026, 6, 1), True, None, Status.PASS, "until 6 January 2027"),
    (dt.date(2026, 6, 1), True, False, Status.FAIL, "never fine-tuned"),
    (TODAY, True, None, Status.UNKNOWN, "last 60 days"),
    (TODAY, True, False, Status.FAIL, "last 60 days"),
    (TODAY, True, True, Status.PASS, "39 days"),
    (TODAY, False, True, Status.FAIL, "OPENAI_API_KEY"),
    (dt.date(2027, 1, 6), True, True, Status.FAIL, "LoRA"),
])
def test_openai_backend(today: dt.date, key: bool, eligible: bool | None, status: Status,
                        words: str) -> None:
    item = items.backend_available(backend("openai", key),
                                   answers(backend="openai", openai_org_eligible=eligible),
                                   today)
    assert item.status is status
    assert words in item.reason
    assert item.citation.path == "07-provider-status.md"


@pytest.mark.parametrize(("estimate", "budget", "status"), [
    (None, 100.0, Status.UNKNOWN), (40.0, None, Status.UNKNOWN),
    (40.0, 100.0, Status.PASS), (100.0, 100.0, Status.PASS), (100.01, 100.0, Status.FAIL),
])
def test_within_budget(estimate: float | None, budget: float | None, status: Status) -> None:
    item = items.within_budget(items.CostFacts(estimate, "EUR", budget, "a note"))
    assert item.status is status
