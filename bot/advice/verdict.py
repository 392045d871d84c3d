"""Decides one verdict from the signals, with the reasons (each backed by a
knowledge section) and the follow-up questions that would firm it up. Pure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
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
# The rules' verdict stands unless the learned model gives it less than this probability.
MODEL_VETO = 0.1

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


def decide(signals: Signals, today: dt.date, question: str = "",
           estimate: Mapping[Verdict, float] | None = None) -> Decision:
    """The verdict for `signals` on `today` (provider dates depend on it).

    The rules below read the signals; `estimate`, the learned model's probability of
    each verdict (`verdict_model`), overrules them when it all but excludes their
    verdict (`combine`). Either way the reasons are written for the final verdict."""
    goal = _rule_goal(signals)
    verdict = _rule_verdict(goal, signals)
    if estimate is not None:
        verdict = combine(verdict, estimate)
        goal = _goal_for(verdict, goal, signals)
    return _explain(verdict, goal, signals, today, question)


def combine(rule_verdict: Verdict, estimate: Mapping[Verdict, float]) -> Verdict:
    """The rules' verdict, unless the model gives it under `MODEL_VETO`: then the
    model's most likely one. (Measured on held-out sets, this beats either alone: the
    rules catch terse facts the model blurs, the model catches meaning the rules miss.)"""
    if estimate.get(rule_verdict, 0.0) >= MODEL_VETO:
        return rule_verdict
    return max(estimate, key=estimate.__getitem__)


def _rule_goal(signals: Signals) -> Goal | None:
    goals = _active_goals(signals)
    goal = _primary_goal(goals, signals)
    if goal is None:
        return None
    faint = goals[goal] < CONFIDENT_GOAL
    if (faint and goal not in KNOWLEDGE_GOALS and signals.prompting == "unknown"
            and signals.examples is None and signals.data_quality == "unknown"):
        # A faint hint of a behaviour goal and nothing else: ask, don't guess. (A faint
        # knowledge goal, as in "fine-tune on our wiki?", still gets the RAG answer.)
        return None
    if faint and signals.prompting == "not_tried":
        # A faint goal from a team that has not tried prompting: prompting comes first
        # whatever the goal turns out to be.
        return None
    return goal


def _rule_verdict(goal: Goal | None, signals: Signals) -> Verdict:
    n = signals.examples
    if goal is None:
        return Verdict.PROMPT if signals.prompting == "not_tried" else Verdict.UNCLEAR
    info = GOALS[goal]
    if not info.fine_tuning_helps:
        return Verdict.RAG if info.alternative is Verdict.RAG else Verdict.PROMPT
    if signals.prompting == "not_tried" or (signals.prompting == "unknown" and n is None):
        return Verdict.PROMPT
    if (n is not None and n < fw.MIN_EXAMPLES) or signals.data_quality == "unreviewed":
        return Verdict.COLLECT_DATA
    return Verdict.FINE_TUNE if n is not None else Verdict.UNCLEAR


def _fits(verdict: Verdict, goal: Goal) -> bool:
    """Whether `goal` can explain `verdict`."""
    if verdict is Verdict.RAG:
        return goal in KNOWLEDGE_GOALS
    if verdict is Verdict.PROMPT:
        return goal not in KNOWLEDGE_GOALS
    return GOALS[goal].fine_tuning_helps


def _goal_for(verdict: Verdict, goal: Goal | None, signals: Signals) -> Goal | None:
    """The rules' goal if it explains `verdict`, else the strongest goal that does."""
    if goal is not None and _fits(verdict, goal):
        return goal
    fitting = {Goal(g): s for g, s in signals.goals.items()
               if s >= GOAL_MIN and _fits(verdict, Goal(g))}
    return max(fitting, key=fitting.__getitem__) if fitting else None


def _explain(verdict: Verdict, goal: Goal | None, signals: Signals, today: dt.date,
             question: str) -> Decision:
    """The decision for `verdict`, with the reasons and follow-ups that back it."""
    n = signals.examples
    openai_rules = fw.openai_status(today) if signals.mentions_openai else []
    goal_rules = [Rule(GOALS[goal].reason, GOALS[goal].citation)] if goal else []

    def decision(reasons: list[Rule], follow: list[str]) -> Decision:
        return Decision(verdict, HEADLINES[verdict], goal, reasons, follow)

    if verdict is Verdict.RAG:
        return decision([*goal_rules, fw.BEHAVIOUR_NOT_KNOWLEDGE, fw.KNOWLEDGE_BASE,
                         *openai_rules], [ASK_DOCS])
    if verdict is Verdict.PROMPT and goal is None:
        return decision([fw.PROMPT_FIRST, fw.EXHAUSTING_PROMPTING, fw.FOUR_CASES,
                         *openai_rules], [ASK_GOAL, ASK_PROMPTING])
    if verdict is Verdict.PROMPT and goal is not None and not GOALS[goal].fine_tuning_helps:
        return decision([*goal_rules, fw.PROMPT_FIRST, fw.EXHAUSTING_PROMPTING,
                         *openai_rules], [ASK_PROMPTING])
    if verdict is Verdict.PROMPT:
        return decision(
            [*goal_rules, fw.PROMPT_FIRST, fw.EXHAUSTING_PROMPTING, _data_rule(signals),
             *openai_rules],
            [ASK_PROMPTING] + ([ASK_COUNT] if n is None else []))
    if verdict is Verdict.UNCLEAR and goal is None:
        return decision([fw.BEHAVIOUR_NOT_KNOWLEDGE, fw.FOUR_CASES, fw.PROMPT_FIRST,
                         *openai_rules], [ASK_GOAL, ASK_PROMPTING, ASK_COUNT])
    if verdict is Verdict.UNCLEAR:
        # A fine-tuning case with prompting exhausted but too little said about data.
        return decision([*goal_rules, fw.DATA_SUFFICIENT, fw.DATA_CORRECT, *openai_rules],
                        [ASK_COUNT, ASK_REVIEW])
    if verdict is Verdict.COLLECT_DATA:
        follow = [] if n is not None else [ASK_COUNT]
        if signals.data_quality != "reviewed":
            follow.append(ASK_REVIEW)
        return decision([*goal_rules, _data_rule(signals), fw.DATA_CORRECT, fw.DATA_SPECIFIC,
                         fw.HELD_OUT, *openai_rules], [*follow, ASK_HELD_OUT])
    reasons = list(goal_rules)
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
    return decision(reasons, [*follow, ASK_HELD_OUT, ASK_ROUTE])
