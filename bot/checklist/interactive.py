"""`ft-advisor check` without an answers file: asks each question in the terminal,
with defaults, and returns the answers and the dataset path. Prompts go to stderr,
so `--json` output on stdout stays clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from bot.advice.framework import GOALS, Goal
from bot.checklist.answers import DEFAULT_HOLDOUT, ChecklistAnswers, KnowledgeBase, Prompting

KB_CHOICES = {
    "no": KnowledgeBase.NOT_NEEDED,
    "in-place": KnowledgeBase.IN_PLACE,
    "considered": KnowledgeBase.CONSIDERED,
    "not-considered": KnowledgeBase.NOT_CONSIDERED,
}


def _optional(text: str, default: str = "") -> str | None:
    value: str = click.prompt(text, default=default, show_default=bool(default), err=True)
    return value.strip() or None


def _optional_int(text: str) -> int | None:
    while True:
        value = _optional(text)
        if value is None:
            return None
        try:
            number = int(value.replace(",", "").replace("_", ""))
        except ValueError:
            click.echo("  Please give a whole number, or leave it empty.", err=True)
            continue
        if number >= 0:
            return number
        click.echo("  Please give a number of zero or more.", err=True)


def _existing_file(text: str) -> Path | None:
    while True:
        value = _optional(text)
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.is_file():
            return path
        click.echo(f"  {path} is not a file; try again or leave it empty.", err=True)


def _goal(use_case: str | None, goal_of: Callable[[str], Goal | None]) -> Goal | None:
    found = goal_of(use_case) if use_case else None
    if found is not None and click.confirm(
            f"  I read this as: {GOALS[found].label}. Is that right?", default=True, err=True):
        return found
    names = [g.value for g in Goal]
    click.echo("  Goals: " + ", ".join(names), err=True)
    value = click.prompt("  Which goal is it (empty if none fits)", default="",
                         type=click.Choice([*names, ""]), show_choices=False, err=True)
    return Goal(value) if value else None


def ask_answers(goal_of: Callable[[str], Goal | None]) -> tuple[ChecklistAnswers, Path | None]:
    click.echo("Pre-launch checklist. Press Enter to accept a default or skip a question; "
               "what you skip is marked unknown.\n", err=True)
    use_case = _optional("What should the fine-tuned model do better than today?")
    goal = _goal(use_case, goal_of)
    tried = _optional("What prompting have you tried? (separate with ';', empty if nothing)")
    baseline = _optional("The best prompt's score or failure rate on a fixed test set")
    kb = click.prompt("Is knowledge part of the problem? no / in-place (a knowledge base is "
                      "used) / considered / not-considered", default="no",
                      type=click.Choice(list(KB_CHOICES)), show_choices=False, err=True)
    kb_notes = _optional("  Why was it ruled out?") if kb == "considered" else None
    dataset = _existing_file("Training dataset (JSONL path, empty if you have none yet)")
    examples = None if dataset else _optional_int("How many labelled examples do you have?")
    reviewed_by = _optional("Who checked the examples for correctness?")
    validation = _existing_file("Validation file (empty: ft-advisor splits off 10%)")
    backend = click.prompt("Backend", default="lora", type=click.Choice(["lora", "openai"]),
                           err=True)
    base_model = openai_model = None
    eligible = None
    if backend == "lora":
        base_model = _optional("Open base model (hub name or local path)",
                               default="Qwen/Qwen2.5-7B-Instruct")
    else:
        openai_model = _optional("OpenAI model", default="gpt-4.1-mini")
        eligible = click.confirm("Has your organisation used a fine-tuned OpenAI model in "
                                 "the last 60 days?", default=False, err=True)
    monthly = _optional_int("Requests per month in production (empty to skip)")
    current = _optional("Model you use today (empty to skip)") if monthly else None
    answers = ChecklistAnswers(
        use_case=use_case, goal=goal,
        prompting=Prompting(tried=[t.strip() for t in (tried or "").split(";") if t.strip()],
                            baseline=baseline),
        knowledge_base=KB_CHOICES[kb], knowledge_base_notes=kb_notes, examples=examples,
        reviewed_by=reviewed_by, backend=backend, base_model=base_model,
        openai_model=openai_model or "gpt-4.1-mini", openai_org_eligible=eligible,
        validation_file=validation, holdout_fraction=DEFAULT_HOLDOUT,
        monthly_requests=monthly, current_model=current)
    return answers, dataset
