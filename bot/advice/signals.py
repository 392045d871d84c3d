"""Turns a conversation into the facts the verdict depends on.

Each user message is cut into clauses; every clause is embedded and compared with
labelled exemplar clauses (`exemplars.yaml`, k-nearest neighbours, cosine). That
finds the goal and the evidence (prompting tried? knowledge base in place? data
reviewed?) by meaning rather than by keywords, so unseen phrasings, typos and long
narratives still land. Counts come from `numbers.example_count`.

Pure: the caller passes an `encode_units` function (text and its clauses -> clause
vectors) and the `ExemplarIndex`; nothing here touches disk or network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from bot.advice import cues
from bot.advice.framework import KNOWLEDGE_GOALS, Goal
from bot.advice.numbers import example_count

# (text, substrings of it) -> one unit vector per substring
EncodeUnits = Callable[[str, list[str]], np.ndarray]

EVIDENCE_CLASSES = (
    "prompting_exhausted",
    "prompting_not_tried",
    "kb_in_place",
    "data_reviewed",
    "data_unreviewed",
)
NEUTRAL = "neutral"
BEHAVIOUR_TERMS = {Goal.OUTPUT_FORMAT.value, Goal.TONE_STYLE.value}
CLASSES: tuple[str, ...] = tuple(g.value for g in Goal) + EVIDENCE_CLASSES + (NEUTRAL,)

TOP_K = 4  # neighbours averaged per class
MIN_SCORE = 0.30  # below this a clause says nothing we can use
DATA_CLAUSE_WORDS = 8  # see _describes_data
NEGATION_CLAUSE_WORDS = 12  # see _ruled_out
IGNORED_INSTRUCTIONS_LEAD = 0.15  # lead credited when grammar shows ignored instructions
NAMED_TASK_LEAD = 0.05  # lead credited when a clause names a narrow task (cues.names_task)
GOAL_TERM_LEAD = 0.05  # lead credited when a clause names a goal in the framework's terms
KNOWLEDGE_NEED_LEAD = 0.2  # lead credited when a clause states a knowledge need
GOAL_UNIT_WORDS = 4  # fragments shorter than this ("2 SMEs") are too noisy for goals
STRONG = 0.25  # lead over neutral for embedding evidence on prompting/data/kb,
# used only when the grammar of the turn says nothing


@dataclass(frozen=True)
class ExemplarIndex:
    """Exemplar clause vectors and their class labels."""

    labels: tuple[str, ...]
    vectors: np.ndarray  # (n, d) unit rows

    def class_scores(self, clause_vectors: np.ndarray) -> np.ndarray:
        """(clauses, classes) array: mean of the top-k cosine similarities per class."""
        sims = clause_vectors @ self.vectors.T
        labels = np.array(self.labels)
        out = np.empty((len(clause_vectors), len(CLASSES)), dtype=np.float32)
        for j, name in enumerate(CLASSES):
            cols = sims[:, labels == name]
            k = min(TOP_K, cols.shape[1])
            out[:, j] = np.sort(cols, axis=1)[:, -k:].mean(axis=1) if k else -1.0
        return out


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[.!?])(?=[A-Z])")
_CLAUSE_BREAK = re.compile(
    r",?\s+(?:but|however|although|though|whereas|yet|except)\s+"
    r"|,?\s+(?:and|so|while|plus|because|since|which|as)\s+|,\s+"
    r"|\s+[-–—]+\s+|\s*\(\s*|\s*\)\s*|:\s+",
    re.IGNORECASE,
)


def clauses(text: str) -> list[str]:
    """Sentences plus the clauses inside them, short fragments dropped."""
    units: list[str] = []
    for sentence in _sentences(text):
        if len(sentence.split()) < 2:
            continue
        units.append(sentence)
        parts = [p.strip() for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
        if len(parts) > 1:
            units.extend(p for p in parts if len(p.split()) >= 3)
    return list(dict.fromkeys(units))


@dataclass
class Signals:
    """What the conversation told us; `None`/"unknown" means it did not say."""

    goals: dict[str, float] = field(default_factory=dict)  # goal -> lead over neutral
    prompting: str = "unknown"  # exhausted | not_tried | unknown
    knowledge_base: str = "unknown"  # in_place | unknown
    examples: int | None = None
    data_quality: str = "unknown"  # reviewed | unreviewed | unknown
    instructions_ignored: bool = False  # grammar: "it skips the rest of our rules"
    mentions_openai: bool = False
    mentions_open_models: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["goals"] = {k: round(v, 3) for k, v in sorted(
            self.goals.items(), key=lambda kv: -kv[1])}
        return data


_OPENAI = re.compile(r"\b(open\s?ai|chat\s?gpt|gpt[-\s]?\d|gpt)\b", re.IGNORECASE)
_OPEN_MODELS = re.compile(
    r"\b(lora|qlora|peft|llama|mistral|mixtral|qwen|gemma|phi[-\s]?\d|open[-\s]?(?:source|weight)s?)\b",
    re.IGNORECASE,
)


FAMILIES: dict[str, tuple[str, ...]] = {
    "goal": tuple(g.value for g in Goal),
    "prompting": ("prompting_exhausted", "prompting_not_tried"),
    "data": ("data_reviewed", "data_unreviewed"),
    "kb": ("kb_in_place",),
}


def _describes_data(unit: str) -> bool:
    """A short clause that only qualifies the data ("nobody knows how accurate they
    are"). Longer sentences keep their goal: "tune the tone on 40k scraped posts"."""
    return len(unit.split()) <= DATA_CLAUSE_WORDS and cues.data_polarity(unit) is not None


@dataclass(frozen=True)
class _ClauseCues:
    """What grammar reads off one clause, computed once per clause."""

    negated: bool  # rules a goal out: "we don't care about tone"
    describes_data: bool  # only qualifies the data: "nobody checked them"
    short: bool  # too short for an embedding goal: "2 SMEs"
    task: bool  # names a narrow task: "classify claims into codes"
    effort: bool  # reports prompting effort: "few-shot tops out at 78%"
    score: bool  # reports a measured score: "tops out at 78% accuracy"
    ignores: bool  # the model ignores what it is told
    terms: tuple[str, ...]  # goals named in the framework's terms
    need: str | None  # a stated knowledge need
    about_fine_tuning: bool  # asks what fine-tuning itself costs or needs

    @classmethod
    def read(cls, unit: str) -> _ClauseCues:
        return cls(
            negated=cues.negates_goal(unit),
            describes_data=_describes_data(unit),
            short=len(unit.split()) < GOAL_UNIT_WORDS,
            task=cues.names_task(unit),
            effort=cues.prompting_polarity(unit) is not None,
            score=cues.reports_score(unit),
            ignores=cues.ignores_instructions(unit),
            terms=tuple(cues.goal_terms(unit)),
            need=cues.knowledge_need(unit),
            about_fine_tuning=cues.asks_about_fine_tuning(unit),
        )

    @property
    def no_goal(self) -> bool:
        """A clause that rules a goal out, only describes the data or is a fragment
        carries no goal by meaning."""
        return self.negated or self.describes_data or self.short


def _read_clauses(units: Sequence[str]) -> list[_ClauseCues]:
    """Each clause's cues, read once per turn. A clause inside a sentence that asks what
    fine-tuning costs is about fine-tuning too ("Can you fine-tune GPT-4o" inside "...,
    and what would it cost us?")."""
    read = [_ClauseCues.read(unit) for unit in units]
    about = [unit for unit, clause in zip(units, read, strict=True) if clause.about_fine_tuning]
    return [replace(clause, about_fine_tuning=True)
            if not clause.about_fine_tuning and any(unit in s for s in about) else clause
            for unit, clause in zip(units, read, strict=True)]


def _turn_evidence(read: Sequence[_ClauseCues], scores: np.ndarray) -> dict[str, float]:
    """Per class, its best lead over `neutral` among the turn's clauses where it is
    its family's top class. Each family (goal, prompting, data, kb) competes only
    with `neutral`, so one clause can carry a goal and a piece of evidence at once
    ("prompting can't capture our house style"). Goals that grammar reads off a
    clause (`_grammar_goals`) are credited with fixed leads on top."""
    neutral = CLASSES.index(NEUTRAL)
    best: dict[str, float] = {}

    def credit(name: str, lead: float) -> None:
        best[name] = max(best.get(name, 0.0), lead)

    ignored = stated_need = False
    for clause, row in zip(read, scores, strict=True):
        for name, lead in _grammar_goals(clause).items():
            credit(name, lead)
        for family, members in FAMILIES.items():
            if family == "goal":
                if clause.no_goal:
                    continue
                members = _embedding_goals(clause)
            cols = [CLASSES.index(m) for m in members]
            j = max(cols, key=lambda c: row[c])
            lead = float(row[j] - row[neutral])
            if row[j] >= MIN_SCORE and lead > 0:
                credit(CLASSES[j], lead)
        ignored |= clause.ignores
        stated_need |= clause.need is not None and not clause.negated
    if ignored and not stated_need:
        # "it forgets the diabetic exception": the rules it was given read like
        # knowledge to the embedding, but grammar says the model is ignoring them
        for name in KNOWLEDGE_GOALS:
            best.pop(name, None)
    return best


def _grammar_goals(clause: _ClauseCues) -> dict[str, float]:
    """Goals the clause's grammar states, with the lead each is credited."""
    found: dict[str, float] = {}
    if clause.ignores:
        found[Goal.COMPLEX_INSTRUCTIONS.value] = IGNORED_INSTRUCTIONS_LEAD
    if not clause.negated and not clause.describes_data:
        for name in clause.terms:  # even in a short clause: "tone is off"
            found[name] = GOAL_TERM_LEAD
    if not clause.no_goal and clause.task:
        found[Goal.TASK_SPECIALISATION.value] = NAMED_TASK_LEAD
    if clause.need and not clause.negated and not clause.describes_data:
        found[clause.need] = KNOWLEDGE_NEED_LEAD
    return found


def _embedding_goals(clause: _ClauseCues) -> tuple[str, ...]:
    """The goals the clause may match by meaning. A clause naming a task, a format or
    a tone ("it breaks our citation format"), reporting prompting effort or a measured
    score ("tops out at 78% accuracy"), describes the work, not a need for knowledge; a
    question about what fine-tuning itself costs is not the goal of cheaper inference."""
    goals = FAMILIES["goal"]
    if clause.task or clause.effort or clause.score or set(clause.terms) & BEHAVIOUR_TERMS:
        goals = tuple(g for g in goals if g not in KNOWLEDGE_GOALS)
    if clause.effort:  # the rules they tried are effort, not the complaint
        goals = tuple(g for g in goals if g != Goal.COMPLEX_INSTRUCTIONS.value)
    if clause.about_fine_tuning:
        goals = tuple(g for g in goals if g != Goal.COST_LATENCY.value)
    return goals


def _ignores_non_format_rules(clause: _ClauseCues) -> bool:
    """The model ignores rules it was given, and they are not format rules ("doesn't
    follow the layout rules" is the output-format case, which fine-tuning can help)."""
    return clause.ignores and Goal.OUTPUT_FORMAT.value not in clause.terms


def _ruled_out(units: Sequence[str], read: Sequence[_ClauseCues], encode_units: EncodeUnits,
               index: ExemplarIndex) -> set[str]:
    """Goals the turn rules out ("we don't care about tone at all"): the top goal of
    each short clause that negates one, embedded on its own so that the rest of the
    message cannot lend it another goal. The whole conversation then drops that goal."""
    neutral = CLASSES.index(NEUTRAL)
    cols = [CLASSES.index(g.value) for g in Goal]
    out: set[str] = set()
    for unit, clause in zip(units, read, strict=True):
        if not clause.negated or len(unit.split()) > NEGATION_CLAUSE_WORDS:
            continue
        if cues.mentions_data(unit) or example_count(unit) is not None:
            continue  # "80 memos the partners think are good" praises the data
        row = index.class_scores(encode_units(unit, [unit]))[0]
        j = max(cols, key=lambda c: row[c])
        if row[j] > row[neutral]:
            out.add(CLASSES[j])
    return out


_PRONOUN = re.compile(r"\b(?:they|they'?re|them|their|these|those|it'?s\s+all|all\s+of\s+them)\b",
                      re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _about_data(text: str, data_known: bool) -> bool:
    return (data_known and bool(_PRONOUN.search(text))) or cues.mentions_data(text) or (
        example_count(text) is not None)


def _data_quality(sentence: str, data_known: bool) -> str | None:
    """What a sentence says about the examples' quality. Its clauses about the data
    speak first; the whole sentence counts only when it does not also talk about
    prompting ("prompting still makes errors, and we have 3,200 verified
    annotations": the errors are the model's)."""
    if not _about_data(sentence, data_known):
        return None
    parts = [p for p in _CLAUSE_BREAK.split(sentence) if p and p.strip()]
    found: set[str | None] = set()
    previous_about_data = False
    for part in parts:
        # "we have 1.2k outputs logged but no idea how many are correct": the clause
        # right after one about the data goes on about it, unless it turns to prompting
        about = _about_data(part, data_known) or (
            previous_about_data and not cues.mentions_prompting(part))
        if about:
            found.add(cues.data_polarity(part))
        # only a clause that states a count carries over ("2,700 invoices ..."), not
        # few-shot "examples" in a sentence about prompting
        previous_about_data = example_count(part) is not None
    found -= {None}
    if found:
        return "unreviewed" if "unreviewed" in found else found.pop()
    if cues.mentions_prompting(sentence):
        return None
    return cues.data_polarity(sentence)


def _turn_cues(turn: str, data_known: bool) -> tuple[str | None, str | None, bool]:
    """(prompting, data quality, kb in place) read from the grammar of the turn's
    sentences; within a turn "not tried" beats "exhausted" (something is left to
    try) and "unreviewed" beats "reviewed". Once a count is known, a later "they're
    unreviewed" refers to those examples."""
    prompting: set[str] = set()
    quality: set[str] = set()
    kb = False
    for sentence in _sentences(turn):
        for part in [sentence, *_CLAUSE_BREAK.split(sentence)]:
            if not part or not part.strip():
                continue
            polarity = cues.prompting_polarity(part)
            if polarity:
                prompting.add(polarity)
        polarity = _data_quality(sentence, data_known)
        if polarity:
            quality.add(polarity)
        kb |= cues.knowledge_base_in_place(sentence)
    return (
        "not_tried" if "not_tried" in prompting else next(iter(prompting), None),
        "unreviewed" if "unreviewed" in quality else next(iter(quality), None),
        kb,
    )


def extract_signals(
    turns: Sequence[str], encode_units: EncodeUnits, index: ExemplarIndex
) -> Signals:
    """Signals from the user's turns, oldest first; later turns update earlier ones."""
    signals = Signals()
    for turn in turns:
        units = clauses(turn)
        scores = index.class_scores(encode_units(turn, units)) if units else np.zeros(
            (0, len(CLASSES)))
        read = _read_clauses(units)
        evidence = _turn_evidence(read, scores)
        if cues.denies_use_case(turn):
            evidence = {k: v for k, v in evidence.items() if k not in FAMILIES["goal"]}
        stated = {g for clause in read if not clause.negated for g in clause.terms}
        for goal_name in _ruled_out(units, read, encode_units, index) - stated:
            evidence.pop(goal_name, None)
            signals.goals.pop(goal_name, None)
        for goal in Goal:
            if goal.value in evidence:
                signals.goals[goal.value] = max(signals.goals.get(goal.value, 0.0),
                                                evidence[goal.value])
        count = example_count(turn)
        if count is not None:
            signals.examples = count
        prompting, quality, kb = _turn_cues(turn, signals.examples is not None)
        if prompting is None and signals.prompting != "unknown" and count is None and not (
                cues.mentions_data(turn)):
            prompting = cues.follow_up_effort(turn)
        signals.prompting = prompting or _pick(evidence, {
            "prompting_exhausted": "exhausted", "prompting_not_tried": "not_tried"},
            signals.prompting, STRONG)
        signals.data_quality = quality or _pick(evidence, {
            "data_reviewed": "reviewed", "data_unreviewed": "unreviewed"},
            signals.data_quality, STRONG)
        if kb or evidence.get("kb_in_place", 0.0) >= STRONG:
            signals.knowledge_base = "in_place"
        if cues.mentions_instructions(turn):  # the latest word on the rules counts
            signals.instructions_ignored = any(_ignores_non_format_rules(c) for c in read)
        signals.mentions_openai |= bool(_OPENAI.search(turn))
        signals.mentions_open_models |= bool(_OPEN_MODELS.search(turn))
    return signals


def _pick(evidence: dict[str, float], options: dict[str, str], current: str,
          floor: float) -> str:
    present = [(evidence[name], value) for name, value in options.items()
               if evidence.get(name, 0.0) >= floor]
    return max(present)[1] if present else current
