"""What a team tells the checklist, from a YAML file, the interactive CLI or the
Slack modal. Every field is optional: what is not answered is judged `unknown`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.advice.framework import Goal
from bot.errors import InputError
from bot.yamlfile import read_yaml

DEFAULT_HOLDOUT = 0.1


class KnowledgeBase(StrEnum):
    NOT_NEEDED = "not_needed"  # knowledge is not part of the problem
    IN_PLACE = "in_place"  # a knowledge base / RAG is already used
    CONSIDERED = "considered"  # considered and ruled out, with a reason
    NOT_CONSIDERED = "not_considered"


class Prompting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tried: list[str] = Field(default_factory=list, description="what was tried")
    baseline: str | None = Field(None, description="baseline score or failure rate")


class ChecklistAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case: str | None = Field(None, max_length=8000)
    goal: Goal | None = None  # overrides what the advisor reads from `use_case`
    prompting: Prompting = Field(default_factory=Prompting)
    knowledge_base: KnowledgeBase | None = None
    knowledge_base_notes: str | None = None
    examples: int | None = Field(None, ge=0)  # used when no dataset is attached
    reviewed_by: str | None = None
    backend: Literal["lora", "openai"] = "lora"
    openai_model: str = "gpt-4.1-mini"
    base_model: str | None = None
    gpu: str = "a100-80gb"
    epochs: int | None = Field(None, ge=1, le=50)
    max_seq_length: int = Field(4096, ge=128, le=131072)
    validation_file: Path | None = None
    holdout_fraction: float = Field(DEFAULT_HOLDOUT, gt=0, lt=0.5)
    monthly_requests: int | None = Field(None, ge=0)
    current_model: str | None = None
    openai_org_eligible: bool | None = None  # fine-tuned-model inference in the last 60 days


def load_answers(path: Path) -> ChecklistAnswers:
    """Answers from a YAML file; any problem is one clear `InputError`."""
    raw = read_yaml(path, "the answers file", InputError)
    return parse_answers(raw or {}, source=str(path), base_dir=path.parent)


def parse_answers(raw: Any, source: str = "answers",
                  base_dir: Path | None = None) -> ChecklistAnswers:
    """Validated answers; a relative `validation_file` is taken relative to `base_dir`."""
    if not isinstance(raw, dict):
        raise InputError(f"{source} must be a mapping of question: answer.")
    try:
        answers = ChecklistAnswers.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
                    for e in exc.errors()]
        raise InputError(f"{source}: {'; '.join(problems)}.") from exc
    if base_dir is not None and answers.validation_file is not None \
            and not answers.validation_file.is_absolute():
        answers.validation_file = base_dir / answers.validation_file
    return answers
