"""The eight checklist items as pure functions of what is known. Each returns an
`Item` with a one-line reason and the guidance section behind it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.advice import framework as fw
from bot.advice.framework import GOALS, Citation, Goal
from bot.checklist.answers import ChecklistAnswers, KnowledgeBase
from bot.checklist.result import CitationRef, Item, Status

_MEASURED = re.compile(r"\d")  # a baseline names a number: a score, a rate, a count


@dataclass(frozen=True)
class DatasetFacts:
    valid_examples: int
    usable: bool
    error_summary: str  # "" when there are no blocking errors
    warning_summary: str


@dataclass(frozen=True)
class HoldoutFacts:
    how: str  # "a validation file" | "a 10% split made by ft-advisor (seed 1234)"
    train_examples: int
    validation_examples: int
    overlap: int
    usable: bool


@dataclass(frozen=True)
class BackendFacts:
    backend: str  # "openai" | "lora"
    min_examples: int  # the backend's hard minimum
    openai_key: bool
    runner: str
    runner_problem: str | None  # why the LoRA runner cannot run, or None


@dataclass(frozen=True)
class BaselineFacts:
    """A baseline ft-advisor measured on this checklist's held-out file."""

    score: float  # in [0, 1]
    evaluator: str
    examples: int
    model: str
    measured_on: dt.date

    def describe(self) -> str:
        return (f"baseline measured by ft-advisor: {self.score:.1%} {self.evaluator} on "
                f"{self.examples:,} held-out examples ({self.model}, {self.measured_on})")


@dataclass(frozen=True)
class CostFacts:
    estimate: float | None  # the chosen route's high estimate, report currency
    currency: str
    budget: float | None
    note: str  # how the estimate was made, or why there is none


def _item(key: str, title: str, status: Status, reason: str, citation: Citation) -> Item:
    return Item(key=key, title=title, status=status, reason=reason,
                citation=CitationRef.of(citation))


def use_case(goal: Goal | None, source: str) -> Item:
    title = "Use case fine-tuning can help"
    if goal is None:
        return _item("use_case", title, Status.UNKNOWN,
                     "Describe the behaviour the model should change (format, tone, a "
                     "narrow task, a cheaper model).", fw.FOUR_CASES.citation)
    info = GOALS[goal]
    if info.fine_tuning_helps:
        return _item("use_case", title, Status.PASS,
                     f"The goal ({source}) is {info.label}: one of the four cases.",
                     info.citation)
    instead = "a knowledge base (RAG)" if info.alternative is fw.Verdict.RAG else \
        "better prompt engineering"
    return _item("use_case", title, Status.FAIL,
                 f"The goal ({source}) is {info.label}, which fine-tuning does not fix: "
                 f"use {instead} instead.", info.citation)


def prompting(answers: ChecklistAnswers, measured: BaselineFacts | None = None) -> Item:
    """A stated baseline must name a number; a `measured` one counts as recorded."""
    title = "Prompting tried and its limit recorded"
    tried = [t.strip() for t in answers.prompting.tried if t.strip()]
    stated = (answers.prompting.baseline or "").strip()
    baselines = [f"baseline: {stated}"] if stated else []
    baselines += [measured.describe()] if measured else []
    if not tried and not baselines:
        return _item("prompting", title, Status.UNKNOWN,
                     "Say what prompting was tried and the baseline score it reached.",
                     fw.EXHAUSTING_PROMPTING.citation)
    if not tried:
        also = f" ({measured.describe()})" if measured else ""
        return _item("prompting", title, Status.FAIL,
                     f"No prompt engineering is recorded{also}: list what was tried, or "
                     "try a better prompt first.", fw.PROMPT_FIRST.citation)
    if measured is None and not _MEASURED.search(stated):
        return _item("prompting", title, Status.UNKNOWN,
                     f"Tried: {'; '.join(tried)}. Record the baseline as a number (a score "
                     "or failure rate on a fixed test set).", fw.EXHAUSTING_PROMPTING.citation)
    return _item("prompting", title, Status.PASS,
                 f"Tried: {'; '.join(tried)}; {'; '.join(baselines)}.",
                 fw.EXHAUSTING_PROMPTING.citation)


def knowledge_base(answers: ChecklistAnswers, goal: Goal | None) -> Item:
    title = "Knowledge base considered"
    kb = answers.knowledge_base
    knowledge_goal = goal in fw.KNOWLEDGE_GOALS
    if kb is None:
        return _item("knowledge_base", title, Status.UNKNOWN,
                     "Say whether knowledge is part of the problem and whether a knowledge "
                     "base was tried.", fw.KNOWLEDGE_BASE.citation)
    if kb is KnowledgeBase.NOT_CONSIDERED:
        return _item("knowledge_base", title, Status.FAIL,
                     "Knowledge is part of the problem and no knowledge base was tried: "
                     "index the documents and retrieve first.", fw.KNOWLEDGE_BASE.citation)
    if kb is KnowledgeBase.NOT_NEEDED and knowledge_goal:
        return _item("knowledge_base", title, Status.FAIL,
                     "The use case is about knowledge, so a knowledge base is needed.",
                     fw.KNOWLEDGE_BASE.citation)
    reasons = {
        KnowledgeBase.NOT_NEEDED: "Knowledge is not part of the problem.",
        KnowledgeBase.IN_PLACE: "A knowledge base already supplies the facts.",
        KnowledgeBase.CONSIDERED: "A knowledge base was considered and ruled out",
    }
    reason = reasons[kb]
    if kb is KnowledgeBase.CONSIDERED:
        notes = (answers.knowledge_base_notes or "").strip()
        reason += f": {notes}." if notes else "."
    return _item("knowledge_base", title, Status.PASS, reason,
                 fw.BEHAVIOUR_NOT_KNOWLEDGE.citation)


def data_sufficient(answers: ChecklistAnswers, dataset: DatasetFacts | None,
                    min_examples: int) -> Item:
    title = "Enough correct labelled data"
    count, counted = (dataset.valid_examples, "counted in the dataset") if dataset else (
        answers.examples, "as stated")
    if count is None:
        return _item("data", title, Status.UNKNOWN,
                     "Attach the dataset or say how many labelled examples you have.",
                     fw.DATA_SUFFICIENT.citation)
    if count < min_examples:
        return _item("data", title, Status.FAIL,
                     f"{count:,} examples ({counted}) is below the backend's minimum of "
                     f"{min_examples}: this blocks the launch.", fw.DATA_SUFFICIENT.citation)
    if count < fw.MIN_EXAMPLES:
        return _item("data", title, Status.FAIL,
                     f"{count:,} examples ({counted}): collect more, typically "
                     f"{fw.TYPICAL_EXAMPLES} are needed.", fw.DATA_SUFFICIENT.citation)
    reviewer = (answers.reviewed_by or "").strip()
    if not reviewer:
        return _item("data", title, Status.UNKNOWN,
                     f"{count:,} examples ({counted}); say who checked them for correctness.",
                     fw.DATA_CORRECT.citation)
    return _item("data", title, Status.PASS,
                 f"{count:,} examples ({counted}), reviewed by {reviewer}.",
                 fw.DATA_SUFFICIENT.citation)


def dataset_valid(dataset: DatasetFacts | None) -> Item:
    title = "Dataset validates"
    if dataset is None:
        return _item("dataset", title, Status.UNKNOWN,
                     "Attach the training file (chat or preference JSONL) to validate it.",
                     fw.DATA_SPECIFIC.citation)
    if not dataset.usable:
        return _item("dataset", title, Status.FAIL,
                     f"Blocking errors: {dataset.error_summary}.", fw.DATA_CORRECT.citation)
    warnings = f" Warnings: {dataset.warning_summary}." if dataset.warning_summary else ""
    return _item("dataset", title, Status.PASS, f"No blocking errors.{warnings}",
                 fw.DATA_SPECIFIC.citation)


def held_out(holdout: HoldoutFacts | None, blocked: bool = False) -> Item:
    title = "Held-out evaluation set"
    if holdout is None and blocked:
        return _item("held_out", title, Status.UNKNOWN,
                     "Fix the dataset's blocking errors first; then ft-advisor splits off "
                     "10% (or attach a validation file).", fw.HELD_OUT.citation)
    if holdout is None:
        return _item("held_out", title, Status.UNKNOWN,
                     "Attach the dataset (ft-advisor splits off 10%) or a validation file.",
                     fw.HELD_OUT.citation)
    if holdout.overlap:
        return _item("held_out", title, Status.FAIL,
                     f"{holdout.overlap:,} validation examples also appear in training; "
                     "remove them so the score means something.", fw.HELD_OUT.citation)
    if not holdout.usable or holdout.validation_examples == 0:
        return _item("held_out", title, Status.FAIL,
                     f"The held-out set from {holdout.how} has no usable examples.",
                     fw.HELD_OUT.citation)
    return _item("held_out", title, Status.PASS,
                 f"{holdout.validation_examples:,} held-out vs {holdout.train_examples:,} "
                 f"training examples, from {holdout.how}, no overlap.", fw.HELD_OUT.citation)


def backend_available(backend: BackendFacts, answers: ChecklistAnswers,
                      today: dt.date) -> Item:
    title = "Backend available"
    if backend.backend == "lora":
        if not answers.base_model:
            return _item("backend", title, Status.UNKNOWN,
                         "Name the open base model to train (for example a Llama 3, "
                         "Mistral or Qwen 2 model).", fw.LORA_ROUTE.citation)
        if backend.runner_problem:
            return _item("backend", title, Status.FAIL, backend.runner_problem,
                         fw.LORA_ROUTE.citation)
        return _item("backend", title, Status.PASS,
                     f"LoRA on {answers.base_model}, {backend.runner} runner.",
                     fw.LORA_ROUTE.citation)
    return _openai_available(backend, answers, today)


def _openai_available(backend: BackendFacts, answers: ChecklistAnswers,
                      today: dt.date) -> Item:
    title = "Backend available"
    events = [event for event, _ in fw.OPENAI_EVENTS]
    never_tuned, inactive, closed, retired = (e.date for e in events)
    status = fw.OPENAI_STATUS
    if today >= closed:
        return _item("backend", title, Status.FAIL,
                     "OpenAI accepts no new self-serve fine-tuning jobs since "
                     f"{_day(closed)}: use LoRA on an open model.", status)
    if not backend.openai_key:
        return _item("backend", title, Status.FAIL,
                     "No OpenAI API key is configured (OPENAI_API_KEY).", status)
    days = (closed - today).days
    window = (f"new jobs are accepted until {_day(closed)} ({days} days), and "
              f"GPT-4o/4.1 fine-tunes stop serving on {_day(retired)}")
    if today >= inactive and answers.openai_org_eligible is not True:
        status_word = Status.FAIL if answers.openai_org_eligible is False else Status.UNKNOWN
        return _item("backend", title, status_word,
                     "Since 2 July 2026 only organisations with fine-tuned-model inference "
                     f"in the last 60 days can start jobs; confirm yours does ({window}).",
                     status)
    if today >= never_tuned and answers.openai_org_eligible is False:
        return _item("backend", title, Status.FAIL,
                     "Organisations that never fine-tuned are no longer accepted.", status)
    return _item("backend", title, Status.PASS,
                 f"OpenAI key configured; {window}.", status)


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def within_budget(cost: CostFacts) -> Item:
    title = "Cost within budget"
    citation = Citation(fw.OPTIONS, "Cloud GPU cost")
    if cost.estimate is None:
        return _item("cost", title, Status.UNKNOWN, cost.note, citation)
    amount = f"{cost.estimate:,.2f} {cost.currency}"
    if cost.budget is None:
        return _item("cost", title, Status.UNKNOWN,
                     f"Estimated {amount} ({cost.note}); set FT_BUDGET to the most one "
                     "job may cost.", citation)
    budget = f"{cost.budget:,.2f} {cost.currency}"
    if cost.estimate > cost.budget:
        return _item("cost", title, Status.FAIL,
                     f"Estimated {amount} ({cost.note}) exceeds the budget of {budget}.",
                     citation)
    return _item("cost", title, Status.PASS,
                 f"Estimated {amount} ({cost.note}), within the budget of {budget}.",
                 citation)
