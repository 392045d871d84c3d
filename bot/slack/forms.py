"""The checklist and validation modals, and reading a submitted modal back into
`ChecklistAnswers`. Pure: no Slack calls. Block ids name the answer they hold, so a
problem is shown next to the input it is about."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.advice.framework import GOALS
from bot.checklist.answers import ChecklistAnswers, KnowledgeBase
from bot.slack.blocks import Block, escape, plain_text
from bot.slack.files import FILETYPES, refusal

CHECK_CALLBACK = "ft_checklist"
VALIDATE_CALLBACK = "ft_validate"
BASELINE_CALLBACK = "ft_baseline"
DEFAULT_BASE_MODEL = "Qwen/Qwen2.5-7B-Instruct"
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
MAX_INPUT = 3000  # Slack's limit for a plain_text_input
# bot.evaluation.pick.EVALUATORS, named here so building the app does not import the SDK
EVALUATORS = ("exact_match", "json_fields", "style_similarity")

KNOWLEDGE_BASE = {
    KnowledgeBase.NOT_NEEDED: "Not needed: the task is not about knowing facts",
    KnowledgeBase.IN_PLACE: "Already in place: we retrieve from our documents (RAG)",
    KnowledgeBase.CONSIDERED: "Considered and ruled out (say why below)",
    KnowledgeBase.NOT_CONSIDERED: "Not considered yet",
}
BACKENDS = {"lora": "LoRA on an open model (our GPUs)", "openai": "OpenAI fine-tuning"}
YES_NO = {"yes": "Yes", "no": "No"}

Values = dict[str, dict[str, dict[str, Any]]]  # view.state.values


class FormErrors(Exception):
    """Problems to show in the modal, by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class CheckForm:
    answers: ChecklistAnswers
    dataset: str | None  # Slack file ids
    validation: str | None


@dataclass(frozen=True)
class ValidateForm:
    answers: ChecklistAnswers  # the backend and model whose limits apply
    dataset: str


@dataclass(frozen=True)
class BaselineForm:
    held_out: str  # Slack file id
    model: str
    system_prompt: str | None
    evaluator: str | None  # None: chosen from the references' shape


# -- building ------------------------------------------------------------------------
def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = True,
           hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "optional": optional,
                    "label": plain_text(label, 2000),
                    "element": {**element, "action_id": block_id}}
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _text(initial: str | None = None, *, multiline: bool = False,
          placeholder: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline,
                               "max_length": MAX_INPUT}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain_text(placeholder, 150)
    return element


def _number() -> dict[str, Any]:
    return {"type": "number_input", "is_decimal_allowed": False, "min_value": "0"}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain_text(text, 75), "value": value}


def _choice(kind: str, options: dict[str, str], initial: str | None = None,
            placeholder: str = "Read it from the use case") -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind,
                               "options": [_option(v, t) for v, t in options.items()]}
    if initial:
        element["initial_option"] = _option(initial, options[initial])
    if kind == "static_select":
        element["placeholder"] = plain_text(placeholder, 150)
    return element


def _file() -> dict[str, Any]:
    return {"type": "file_input", "filetypes": FILETYPES, "max_files": 1}


def _modal(callback_id: str, title: str, submit: str, channel: str,
           blocks: list[Block]) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": plain_text(title, 24),
            "submit": plain_text(submit, 24), "close": plain_text("Cancel", 24),
            "private_metadata": json.dumps({"channel": channel}), "blocks": blocks}


def checklist_modal(channel: str) -> dict[str, Any]:
    goals = {goal.value: info.label[:1].upper() + info.label[1:] for goal, info in GOALS.items()}
    kb = {kb.value: text for kb, text in KNOWLEDGE_BASE.items()}
    intro = ("Answer what you know: anything left blank is marked ❔ unknown. The result is "
             f"posted in <#{escape(channel)}>, in a thread.")
    return _modal(CHECK_CALLBACK, "Pre-launch checklist", "Run checklist", channel, [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        _input("use_case", "Use case", _text(multiline=True, placeholder=(
            "What should the model do differently, and why does prompting fall short?")),
            optional=False),
        _input("goal", "Goal (optional override)", _choice("static_select", goals),
               hint="Leave empty to let ft-advisor read the goal from the use case."),
        _input("prompting_tried", "Prompting tried", _text(multiline=True),
               hint="One technique per line: few-shot examples, a JSON schema, …"),
        _input("prompting_baseline", "Baseline score with the best prompt",
               _text(placeholder="e.g. 82% valid JSON on 200 test cases")),
        _input("knowledge_base", "Knowledge base", _choice("radio_buttons", kb)),
        _input("knowledge_base_notes", "Why a knowledge base was ruled out",
               _text(multiline=True)),
        _input("examples", "Number of training examples", _number(),
               hint="Only needed when no dataset is attached."),
        _input("reviewed_by", "Examples reviewed by", _text(placeholder="name or team")),
        _input("backend", "Backend", _choice("radio_buttons", BACKENDS, "lora")),
        _input("base_model", "Base model (LoRA)", _text(DEFAULT_BASE_MODEL)),
        _input("openai_model", "OpenAI model", _text(DEFAULT_OPENAI_MODEL)),
        _input("openai_org_eligible",
               "Has your OpenAI organisation used a fine-tuned model in the last 60 days?",
               _choice("radio_buttons", YES_NO), hint="Leave empty if you do not know."),
        _input("monthly_requests", "Requests per month", _number()),
        _input("current_model", "Model used today", _text(placeholder="e.g. gpt-4.1")),
        _input("dataset", "Training dataset (JSONL)", _file()),
        _input("validation_file", "Validation file (JSONL)", _file(),
               hint="Without one, ft-advisor holds out 10% of the dataset."),
    ])


def validate_modal(channel: str) -> dict[str, Any]:
    intro = f"The report is posted in <#{escape(channel)}>, in a thread."
    return _modal(VALIDATE_CALLBACK, "Validate a dataset", "Validate", channel, [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        _input("dataset", "Dataset (JSONL)", _file(), optional=False),
        _input("backend", "Backend", _choice("radio_buttons", BACKENDS, "lora")),
        _input("model", "Model", _text(), hint=(
            f"Its token limits apply; empty means {DEFAULT_BASE_MODEL} for LoRA and "
            f"{DEFAULT_OPENAI_MODEL} for OpenAI.")),
    ])


def baseline_modal(channel: str) -> dict[str, Any]:
    intro = ("Runs the model with your prompt on every held-out example and scores the "
             f"replies. The cost estimate, progress and result are posted in <#{escape(channel)}>, "
             "in a thread; the result is recorded for the checklist's prompting item.")
    evaluators = {name: name for name in EVALUATORS}
    return _modal(BASELINE_CALLBACK, "Measure a baseline", "Run baseline", channel, [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        _input("held_out", "Held-out file (JSONL)", _file(), optional=False, hint=(
            "The checklist's validation file, or the whole dataset when ft-advisor splits "
            "off the held-out set: the baseline is recorded for exactly this file.")),
        _input("model", "Model", _text(DEFAULT_OPENAI_MODEL), optional=False),
        _input("system_prompt", "System prompt", _text(multiline=True), hint=(
            "Your best prompt; it replaces the examples' own system messages. Empty: the "
            "examples are sent as they are.")),
        _input("evaluator", "Evaluator", _choice(
            "static_select", evaluators, placeholder="Chosen from the references")),
    ])


def channel_of(view: dict[str, Any]) -> str:
    """The channel the modal was opened from (set by us in private_metadata)."""
    return str(json.loads(view.get("private_metadata") or "{}")["channel"])


# -- reading -------------------------------------------------------------------------
def _state(values: Values, block: str) -> dict[str, Any]:
    return values.get(block, {}).get(block) or {}


def _str(values: Values, block: str) -> str | None:
    value = _state(values, block).get("value")
    return (value.strip() or None) if isinstance(value, str) else None


def _selected(values: Values, block: str) -> str | None:
    option = _state(values, block).get("selected_option")
    return str(option["value"]) if option else None


def _count(values: Values, block: str, errors: dict[str, str]) -> int | None:
    text = _str(values, block)
    if text is None:
        return None
    try:
        number = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        errors[block] = "Enter a whole number, like 1200."
        return None
    if number < 0:
        errors[block] = "Enter 0 or more."
        return None
    return number


def _file_id(values: Values, block: str, max_mb: int, errors: dict[str, str]) -> str | None:
    files = _state(values, block).get("files") or []
    if not files:
        return None
    file = files[0]
    if file.get("name"):  # Slack sends the file's details; refuse early where it does
        reason = refusal(str(file["name"]), str(file.get("filetype") or ""),
                         file.get("size"), max_mb)
        if reason:
            errors[block] = reason
    return str(file["id"])


def _lines(text: str | None) -> list[str]:
    lines = (line.strip().lstrip("-•*").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def _answers(raw: dict[str, Any], errors: dict[str, str], values: Values,
             fallback: str, aliases: dict[str, str] | None = None) -> ChecklistAnswers:
    """Validate the raw answers; any problem, ours or the model's, is `FormErrors`."""
    if errors:
        raise FormErrors(errors)
    try:
        return ChecklistAnswers.model_validate(raw)
    except ValidationError as exc:
        found: dict[str, str] = {}
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            name = "_".join(loc[:2]) if loc[:1] == ["prompting"] else "".join(loc[:1])
            name = (aliases or {}).get(name, name)
            found.setdefault(name if name in values else fallback, error["msg"] + ".")
        raise FormErrors(found) from None


def read_checklist(values: Values, max_mb: int) -> CheckForm:
    """The answers and attached file ids, or `FormErrors` to show in the modal."""
    errors: dict[str, str] = {}
    use_case = _str(values, "use_case")
    if use_case is None:
        errors["use_case"] = "Describe the use case: what should the model do differently?"
    eligible = _selected(values, "openai_org_eligible")
    raw = {
        "use_case": use_case,
        "goal": _selected(values, "goal"),
        "prompting": {"tried": _lines(_str(values, "prompting_tried")),
                      "baseline": _str(values, "prompting_baseline")},
        "knowledge_base": _selected(values, "knowledge_base"),
        "knowledge_base_notes": _str(values, "knowledge_base_notes"),
        "examples": _count(values, "examples", errors),
        "reviewed_by": _str(values, "reviewed_by"),
        "backend": _selected(values, "backend") or "lora",
        "base_model": _str(values, "base_model"),
        "openai_model": _str(values, "openai_model") or DEFAULT_OPENAI_MODEL,
        "openai_org_eligible": None if eligible is None else eligible == "yes",
        "monthly_requests": _count(values, "monthly_requests", errors),
        "current_model": _str(values, "current_model"),
    }
    dataset = _file_id(values, "dataset", max_mb, errors)
    validation = _file_id(values, "validation_file", max_mb, errors)
    if validation and not dataset:
        errors["validation_file"] = "Attach the training dataset too, or remove this file."
    return CheckForm(_answers(raw, errors, values, "use_case"), dataset, validation)


def read_validate(values: Values, max_mb: int) -> ValidateForm:
    errors: dict[str, str] = {}
    dataset = _file_id(values, "dataset", max_mb, errors)
    if dataset is None:
        raise FormErrors({"dataset": "Attach the JSONL dataset to validate."})
    backend = _selected(values, "backend") or "lora"
    model = _str(values, "model")
    raw: dict[str, Any] = {"backend": backend}
    if backend == "openai":
        raw["openai_model"] = model or DEFAULT_OPENAI_MODEL
    else:
        raw["base_model"] = model or DEFAULT_BASE_MODEL
    aliases = {"openai_model": "model", "base_model": "model"}
    return ValidateForm(_answers(raw, errors, values, "model", aliases), dataset)


def read_baseline(values: Values, max_mb: int) -> BaselineForm:
    errors: dict[str, str] = {}
    held_out = _file_id(values, "held_out", max_mb, errors)
    if held_out is None:
        errors["held_out"] = "Attach the held-out JSONL file."
    model = _str(values, "model")
    if model is None:
        errors["model"] = "Name the model to run, e.g. gpt-4.1-mini."
    if errors or held_out is None or model is None:
        raise FormErrors(errors)
    return BaselineForm(held_out, model, _str(values, "system_prompt"),
                        _selected(values, "evaluator"))
