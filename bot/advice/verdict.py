"""Decides one verdict from the signals, with the reasons (each backed by a
knowledge section) and the follow-up questions that would firm it up. Pure."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.advice import framework as fw
from bot.advice.framework import GOALS, Goal, Rule, Verdict
from bot.advice.signals import Signals

GOAL_MIN = 0.02  # a goal leading `neutral` by less than this is too weak to act on
CONFIDENT_GOAL = 0.04  # below this lead, a goal alone (no other facts) is only a hint
KNOWLEDGE_MARGIN = 0.04  # lead a knowledge goal needs over a behaviour goal
INSTRUCTION_MARGIN = 0.0  # instruction-following wins exact ties
# ... but once prompting is reported exhausted it must lead clearly: such teams name the
# rules they tried, which brushes against the instruction-following exemplars. Unless
# grammar says the model ignores the rules it was given: then that is the complaint.
EXHAUSTED_INSTRUCTION_MARGIN = 0.15
KNOWLEDGE_GOALS = fw.KNOWLEDGE_GOALS

HEADLINES = {
    Verdict.FINE_TUNE: "Fine-tuning fits this case",
    Verdict.RAG: "Use RAG, not fine-tuning",
    Verdict.PROMPT: "Improve the prompt first",
    Verdict.COLLECT_DATA: "A good case for fine-tuning, but get the data ready first",
    Verdict.UNCLEAR: "Not enough to decide yet",
}

ASK_GOAL = (
    "What should the model do differently: follow a strict output format, write in a "
    "particular tone, do one narrow task, run cheaper/faster, or know your own documents?"
)
ASK_PROMPTING = (
    "What have you tried in the prompt (instructions, few-shot examples, output "
    "schema), and how often does it still fail on a fixed test set?"
)
ASK_COUNT = "How many labelled examples of the exact input → output you want do you have?"
ASK_REVIEW = "Who checked those examples for correctness?"
ASK_HELD_OUT = "Can you keep about 10% of the examples aside as a held-out test set?"
ASK_DOCS = "Where do the documents live, and how often do they change?"
ASK_ROUTE = (
    "Would you run LoRA on an open model (Llama 3, Mistral, Qwen 2) on your own GPUs or a "
    "rented A100?"
)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    headline: str
    goal: Goal | None
    reasons: list[Rule]
    follow_up_questions: list[str]


def _active_goals(signals: Signals) -> dict[Goal, float]:
    goals = {Goal(g): s for g, s in signals.goals.items() if s >= GOAL_MIN}
    helps = [g for g in goals if GOALS[g].fine_tuning_helps]
    if signals.knowledge_base == "in_place" and helps:
        # Retrieval already covers knowledge; what is left is a behaviour goal.
        goals = {g: s for g, s in goals.items() if g not in KNOWLEDGE_GOALS}
    return goals


def _primary_goal(goals: dict[Goal, float], signals: Signals) -> Goal | None:
    """The goal the verdict turns on. A knowledge goal must clearly beat a
    behaviour goal (talk of "our letters" or "our reports" brushes against it in
    many behaviour requests); an instruction-following goal wins ties, since the
    guidance sends it back to prompting."""
    if not goals:
        return None
    anti = {g: s for g, s in goals.items() if not GOALS[g].fine_tuning_helps}
    helps = {g: s for g, s in goals.items() if GOALS[g].fine_tuning_helps}
    best_help = max(helps, key=helps.__getitem__) if helps else None
    if not anti:
        return best_help
    best_anti = max(anti, key=anti.__getitem__)
    if best_help is None:
        return best_anti
    exhausted = signals.prompting == "exhausted" and not signals.instructions_ignored
    margin = KNOWLEDGE_MARGIN if best_anti in KNOWLEDGE_GOALS else (
        EXHAUSTED_INSTRUCTION_MARGIN if exhausted else INSTRUCTION_MARGIN)
    return best_anti if anti[best_anti] >= helps[best_help] + margin else best_help


def _data_rule(signals: Signals) -> Rule:
    n = signals.examples
    if n is None:
        return fw.DATA_SUFFICIENT
    verb = "is within" if n >= fw.MIN_EXAMPLES else "is below"
    return Rule(
        f"You mention {n:,} labelled examples, which {verb} the {fw.TYPICAL_EXAMPLES} "
        "that meaningful fine-tuning typically needs.",
        fw.DATA_SUFFICIENT.citation,
    )


def _route_rules(signals: Signals, today: dt.date, question: str) -> list[Rule]:
    rules = [fw.LORA_ROUTE, fw.LORA_VS_API, *fw.openai_status(today)]
    if re.search(r"anthropic|claude", question, re.IGNORECASE):
        rules.append(fw.NO_ANTHROPIC)
    return rules


def decide(signals: Signals, today: dt.date, question: str = "") -> Decision:
    """The verdict for `signals` on `today` (provider dates depend on it)."""
    goals = _active_goals(signals)
    goal = _primary_goal(goals, signals)
    if (goal is not None and goal not in KNOWLEDGE_GOALS and goals[goal] < CONFIDENT_GOAL
            and signals.prompting == "unknown" and signals.examples is None
            and signals.data_quality == "unknown"):
        # A faint hint of a behaviour goal and nothing else: ask, don't guess. (A faint
        # knowledge goal, as in "fine-tune on our wiki?", still gets the RAG answer.)
        goal = None
    if goal is not None and goals[goal] < CONFIDENT_GOAL and signals.prompting == "not_tried":
        # A faint goal from a team that has not tried prompting: prompting comes first
        # whatever the goal turns out to be.
        goal = None
    n = signals.examples
    enough = n is not None and n >= fw.MIN_EXAMPLES
    too_few = n is not None and n < fw.MIN_EXAMPLES
    openai_rules = fw.openai_status(today) if signals.mentions_openai else []

    if goal is None and signals.prompting == "not_tried":
        return Decision(
            Verdict.PROMPT, HEADLINES[Verdict.PROMPT], None,
            [fw.PROMPT_FIRST, fw.EXHAUSTING_PROMPTING, fw.FOUR_CASES, *openai_rules],
            [ASK_GOAL, ASK_PROMPTING],
        )
    if goal is None:
        return Decision(
            Verdict.UNCLEAR, HEADLINES[Verdict.UNCLEAR], None,
            [fw.BEHAVIOUR_NOT_KNOWLEDGE, fw.FOUR_CASES, fw.PROMPT_FIRST, *openai_rules],
            [ASK_GOAL, ASK_PROMPTING, ASK_COUNT],
        )
    info = GOALS[goal]
    if not info.fine_tuning_helps:
        if info.alternative is Verdict.RAG:
            reasons = [Rule(info.reason, info.citation), fw.BEHAVIOUR_NOT_KNOWLEDGE,
                       fw.KNOWLEDGE_BASE, *openai_rules]
            return Decision(Verdict.RAG, HEADLINES[Verdict.RAG], goal, reasons, [ASK_DOCS])
        reasons = [Rule(info.reason, info.citation), fw.PROMPT_FIRST,
                   fw.EXHAUSTING_PROMPTING, *openai_rules]
        return Decision(Verdict.PROMPT, HEADLINES[Verdict.PROMPT], goal, reasons,
                        [ASK_PROMPTING])

    goal_rule = Rule(info.reason, info.citation)
    if signals.prompting == "not_tried" or (signals.prompting == "unknown" and n is None):
        follow = [ASK_PROMPTING] + ([ASK_COUNT] if n is None else [])
        return Decision(
            Verdict.PROMPT, HEADLINES[Verdict.PROMPT], goal,
            [goal_rule, fw.PROMPT_FIRST, fw.EXHAUSTING_PROMPTING, _data_rule(signals),
             *openai_rules],
            follow,
        )
    if too_few or signals.data_quality == "unreviewed":
        reasons = [goal_rule, _data_rule(signals), fw.DATA_CORRECT, fw.DATA_SPECIFIC,
                   fw.HELD_OUT, *openai_rules]
        follow = [] if n is not None else [ASK_COUNT]
        if signals.data_quality != "reviewed":
            follow.append(ASK_REVIEW)
        return Decision(Verdict.COLLECT_DATA, HEADLINES[Verdict.COLLECT_DATA], goal,
                        reasons, [*follow, ASK_HELD_OUT])
    if enough:
        reasons = [goal_rule]
        follow = []
        if signals.prompting == "exhausted":
            reasons.append(Rule(
                "You have already pushed prompting to its limit, so the guidance's "
                "'prompt first' test is met.", fw.PROMPT_FIRST.citation))
        else:
            reasons.append(fw.PROMPT_FIRST)
            follow.append(ASK_PROMPTING)
        reasons += [_data_rule(signals), fw.DATA_CORRECT, fw.HELD_OUT,
                    *_route_rules(signals, today, question)]
        if signals.data_quality == "unknown":
            follow.append(ASK_REVIEW)
        follow += [ASK_HELD_OUT, ASK_ROUTE]
        return Decision(Verdict.FINE_TUNE, HEADLINES[Verdict.FINE_TUNE], goal, reasons, follow)
    # A fine-tuning case with prompting exhausted but nothing said about data.
    return Decision(
        Verdict.UNCLEAR, HEADLINES[Verdict.UNCLEAR], goal,
        [goal_rule, fw.DATA_SUFFICIENT, fw.DATA_CORRECT, *openai_rules],
        [ASK_COUNT, ASK_REVIEW],
    )
