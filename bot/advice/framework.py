"""The guidance as data: goals, thresholds, provider dates, and the knowledge
section that backs each statement the advisor makes.

Every `Citation` names a real `knowledge/` file and `##` section; a test checks
that each one exists, so the offline composer can only cite what is there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Citation:
    path: str  # relative to the knowledge folder
    section: str


class Verdict(StrEnum):
    FINE_TUNE = "fine_tune"
    RAG = "rag"
    PROMPT = "prompt"
    COLLECT_DATA = "collect_data"
    UNCLEAR = "unclear"


class Goal(StrEnum):
    OUTPUT_FORMAT = "output_format"
    TONE_STYLE = "tone_style"
    TASK_SPECIALISATION = "task_specialisation"
    COST_LATENCY = "cost_latency"
    KNOW_DOCUMENTS = "know_documents"
    FACTUAL_ACCURACY = "factual_accuracy"
    COMPLEX_INSTRUCTIONS = "complex_instructions"
    RECENT_KNOWLEDGE = "recent_knowledge"


@dataclass(frozen=True)
class GoalInfo:
    label: str
    fine_tuning_helps: bool
    alternative: Verdict | None  # what to do instead when fine-tuning does not help
    reason: str  # one sentence, backed by `citation`
    citation: Citation


HELPS = "02-when-fine-tuning-helps.md"
DOES_NOT_HELP = "04-when-fine-tuning-does-not-help.md"
DATA = "03-training-data.md"
FIRST = "05-prompt-and-knowledge-base-first.md"
OPTIONS = "06-practical-options.md"
STATUS = "07-provider-status.md"
BASICS = "01-what-fine-tuning-does.md"

GOALS: dict[Goal, GoalInfo] = {
    Goal.OUTPUT_FORMAT: GoalInfo(
        "a strict, consistent output format",
        True,
        None,
        "A fixed output structure that prompting cannot enforce reliably is one of the "
        "four cases where fine-tuning genuinely helps.",
        Citation(HELPS, "Consistent output format"),
    ),
    Goal.TONE_STYLE: GoalInfo(
        "a consistent tone or house style",
        True,
        None,
        "Writing consistently in one specific voice or house style is one of the four "
        "cases where fine-tuning genuinely helps.",
        Citation(HELPS, "Tone and style"),
    ),
    Goal.TASK_SPECIALISATION: GoalInfo(
        "a narrow, specialised task",
        True,
        None,
        "A narrow, repetitive task such as classification or field extraction is one of "
        "the four cases where fine-tuning genuinely helps.",
        Citation(HELPS, "Narrow task specialisation"),
    ),
    Goal.COST_LATENCY: GoalInfo(
        "a cheaper or faster model",
        True,
        None,
        "A smaller fine-tuned model can match a large general one on a specific task at "
        "lower cost and latency.",
        Citation(HELPS, "Cheaper, faster smaller model"),
    ),
    Goal.KNOW_DOCUMENTS: GoalInfo(
        "answers from your own documents",
        False,
        Verdict.RAG,
        "Making a model answer from your own documents is a retrieval (RAG) problem: "
        "fine-tuning does not reliably add knowledge, cannot cite and goes stale.",
        Citation(DOES_NOT_HELP, "Knowing your documents"),
    ),
    Goal.FACTUAL_ACCURACY: GoalInfo(
        "more accurate facts",
        False,
        Verdict.RAG,
        "Fine-tuning does not make a model more factually accurate; it changes how it "
        "sounds when it is wrong. Grounding answers in retrieved sources does.",
        Citation(DOES_NOT_HELP, "Factual accuracy"),
    ),
    Goal.COMPLEX_INSTRUCTIONS: GoalInfo(
        "following complex instructions",
        False,
        Verdict.PROMPT,
        "When a model ignores parts of complex instructions, better prompt engineering "
        "(clearer structure, smaller steps, worked examples) usually fixes it.",
        Citation(DOES_NOT_HELP, "Following complex instructions"),
    ),
    Goal.RECENT_KNOWLEDGE: GoalInfo(
        "knowledge newer than the model's training cutoff",
        False,
        Verdict.RAG,
        "Information from after the training cutoff belongs in a knowledge base the "
        "model reads at query time, not in its weights.",
        Citation(DOES_NOT_HELP, "Knowledge after the training cutoff"),
    ),
}
# Goals the guidance answers with a knowledge base instead of fine-tuning.
KNOWLEDGE_GOALS = frozenset(g for g, info in GOALS.items() if info.alternative is Verdict.RAG)

MIN_EXAMPLES = 500  # the guidance: typically 500-5,000+ labelled examples
TYPICAL_EXAMPLES = "500–5,000+"


@dataclass(frozen=True)
class Rule:
    """A statement the advisor makes, with the section that backs it."""

    text: str
    citation: Citation


FOUR_CASES = Rule(
    "Fine-tuning helps in four cases (a strict output format, a consistent tone, a "
    "narrow task, a cheaper smaller model), and all four need specific, correct, "
    "sufficient labelled data.",
    Citation(HELPS, "What all four have in common"),
)
PROMPT_FIRST = Rule(
    "If a better prompt or a knowledge base can solve the problem, do that first; "
    "fine-tune only once those are exhausted.",
    Citation(FIRST, "The test to apply"),
)
EXHAUSTING_PROMPTING = Rule(
    "Exhausting prompting means clear instructions, few-shot examples, schema or "
    "structured-output features and split steps, with the failure rate measured on a "
    "fixed test set.",
    Citation(FIRST, "What exhausting prompting looks like"),
)
KNOWLEDGE_BASE = Rule(
    "When information is missing or changes, index your documents and let the model "
    "answer from retrieved passages, with citations.",
    Citation(FIRST, "When a knowledge base is the answer"),
)
BEHAVIOUR_NOT_KNOWLEDGE = Rule(
    "Fine-tuning changes behaviour and style; RAG changes what information the model "
    "sees at query time.",
    Citation(BASICS, "Behaviour and style, not knowledge"),
)
DATA_SUFFICIENT = Rule(
    f"Meaningful fine-tuning typically needs {TYPICAL_EXAMPLES} labelled examples.",
    Citation(DATA, "Sufficient: how many examples"),
)
DATA_CORRECT = Rule(
    "The examples must be correct: wrong labels teach wrong behaviour, so someone has "
    "to review them.",
    Citation(DATA, "Correct"),
)
DATA_SPECIFIC = Rule(
    "The examples must show exactly the behaviour you want, on inputs like the real ones.",
    Citation(DATA, "Specific"),
)
HELD_OUT = Rule(
    "Keep about 10% of the examples out of training to compare the tuned model with "
    "the prompted baseline.",
    Citation(DATA, "Keep a held-out evaluation set"),
)
LORA_ROUTE = Rule(
    "LoRA on an open model (Llama 3, Mistral, Qwen 2) trains a small set of extra "
    "weights on a moderate GPU; a cloud A100 costs roughly €2–5 an hour.",
    Citation(OPTIONS, "Open models with LoRA"),
)
LORA_VS_API = Rule(
    "With a clear use case and labelled data, LoRA on an open model is often cheaper "
    "than a hosted fine-tuning API at production scale.",
    Citation(OPTIONS, "LoRA versus a hosted API"),
)
NO_ANTHROPIC = Rule(
    "Anthropic offers no public fine-tuning through its API.",
    Citation(OPTIONS, "Anthropic"),
)


@dataclass(frozen=True)
class ProviderEvent:
    date: dt.date
    past: str  # said once the date has passed
    future: str  # said before it


OPENAI_STATUS = Citation(STATUS, "OpenAI self-serve fine-tuning is winding down")
OPENAI_RETIREMENT = Citation(STATUS, "Fine-tuned OpenAI models retire with their base model")
OPENAI_EVENTS: tuple[tuple[ProviderEvent, Citation], ...] = (
    (
        ProviderEvent(
            dt.date(2026, 5, 7),
            "since 7 May 2026 OpenAI's self-serve fine-tuning no longer accepts "
            "organisations that had never fine-tuned",
            "on 7 May 2026 OpenAI's self-serve fine-tuning stops accepting "
            "organisations that have never fine-tuned",
        ),
        OPENAI_STATUS,
    ),
    (
        ProviderEvent(
            dt.date(2026, 7, 2),
            "since 2 July 2026 it also refuses organisations with no fine-tuned-model "
            "inference in the previous 60 days",
            "on 2 July 2026 it also stops accepting organisations with no "
            "fine-tuned-model inference in the previous 60 days",
        ),
        OPENAI_STATUS,
    ),
    (
        ProviderEvent(
            dt.date(2027, 1, 6),
            "since 6 January 2027 it accepts no new fine-tuning jobs from anyone",
            "on 6 January 2027 it stops accepting new fine-tuning jobs from everyone",
        ),
        OPENAI_STATUS,
    ),
    (
        ProviderEvent(
            dt.date(2027, 1, 14),
            "since 14 January 2027 the GPT-4o, GPT-4o mini, GPT-4.1 and GPT-4.1 mini "
            "snapshots and their fine-tunes are shut down",
            "on 14 January 2027 the GPT-4o, GPT-4o mini, GPT-4.1 and GPT-4.1 mini "
            "snapshots, and fine-tunes built on them, are due to shut down",
        ),
        OPENAI_RETIREMENT,
    ),
)


def openai_status(today: dt.date) -> list[Rule]:
    """What a team choosing the OpenAI route needs to know on `today`."""
    rules = []
    for event, citation in OPENAI_EVENTS:
        if event.date <= today:
            text = event.past[0].upper() + event.past[1:] + "."
        else:
            days = (event.date - today).days
            text = f"{event.future[0].upper() + event.future[1:]} ({days} days from today)."
        rules.append(Rule(text, citation))
    return rules
