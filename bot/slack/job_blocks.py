"""The launch dialog and the job messages as Block Kit. Pure: no Slack calls;
everything that came from users, files or backends is escaped."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.checklist.result import ChecklistResult
from bot.jobs.messages import STATUS_WORDS, finished_text, progress_text
from bot.jobs.slack_notifier import mention
from bot.jobs.spec import PRESETS
from bot.jobs.store import Job
from bot.slack.blocks import COMMAND, Block, escape, job_line, plain_text, sections

LAUNCH_CALLBACK = "ft_launch_dialog"
PRESET_BLOCK = "preset"
DEFAULT_PRESET = "balanced"
PRESET_LABELS = {
    "balanced": "Balanced (the defaults)",
    "small-data": "Small data: more regularisation",
    "quick": "Quick: a 20-step smoke run",
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
LAST_EVENTS = 5


def money(amount: float, currency: str) -> str:
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


@dataclass(frozen=True)
class LaunchTarget:
    """The dialog's private_metadata: what it launches, where it reports, and the
    estimate the user confirmed (as shown)."""

    checklist_id: str
    channel: str | None
    thread_ts: str | None
    cost: str

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str | None) -> LaunchTarget:
        data = json.loads(text or "{}")
        return cls(str(data["checklist_id"]), data.get("channel"), data.get("thread_ts"),
                   str(data.get("cost", "")))


def _preset_option(name: str) -> dict[str, Any]:
    return {"text": plain_text(PRESET_LABELS.get(name, name), 75), "value": name}


def launch_dialog(result: ChecklistResult, cost: float, currency: str,
                  target: LaunchTarget) -> dict[str, Any]:
    """The confirmation modal: backend, model, data and cost; submitting it launches."""
    answers = result.answers
    lora = answers.backend == "lora"
    model = (answers.base_model if lora else answers.openai_model) or "?"
    facts = [f"*Checklist* `{escape(result.id)}` passed.",
             f"*Backend:* {'LoRA on an open model' if lora else 'OpenAI fine-tuning'}",
             f"*Base model:* `{escape(model)}`"]
    ref = result.dataset
    if ref is not None:
        held_out = f" (+{ref.validation_examples:,} for validation)" \
            if ref.validation_examples else ""
        facts.append(f"*Training examples:* {ref.train_examples:,}{held_out}")
    facts.append(f"*Estimated cost:* {money(cost, currency)}")
    blocks: list[Block] = sections("\n".join(facts))
    if lora:
        blocks.append({
            "type": "input", "block_id": PRESET_BLOCK, "label": plain_text("Preset", 2000),
            "hint": plain_text("LoRA hyperparameters; the epochs come from the checklist's "
                               "cost estimate.", 2000),
            "element": {"type": "static_select", "action_id": PRESET_BLOCK,
                        "options": [_preset_option(name) for name in PRESETS],
                        "initial_option": _preset_option(DEFAULT_PRESET)}})
    else:
        blocks.append(_context("OpenAI chooses epochs, batch size and learning rate "
                               "('auto'); presets apply to LoRA only."))
    blocks.append(_context(
        "Submitting launches the job now: that is your confirmation. Progress is posted "
        f"in the checklist's thread; `{COMMAND} cancel JOB` stops it."))
    return {"type": "modal", "callback_id": LAUNCH_CALLBACK,
            "title": plain_text("Launch fine-tuning", 24),
            "submit": plain_text(f"Launch for {money(cost, currency)}", 24),
            "close": plain_text("Cancel", 24), "private_metadata": target.dumps(),
            "blocks": blocks}


def read_preset(values: dict[str, Any]) -> str:
    """The chosen preset (the default where the dialog had no select)."""
    option = (values.get(PRESET_BLOCK, {}).get(PRESET_BLOCK) or {}).get("selected_option")
    return str(option["value"]) if option else DEFAULT_PRESET


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def launched_text(job: Job, user: str, preset: str, cost: str) -> str:
    settings = f", preset {escape(preset)}" if job.backend == "lora" else ""
    estimate = f", estimated {escape(cost)}" if cost else ""
    return (f"🚀 Launched job `{job.id}` by {mention(user)}: {job.backend}, "
            f"{escape(job.spec.base_model)}{settings}{estimate}. Progress is posted in this "
            f"thread; `{COMMAND} status {job.id}` shows it, `{COMMAND} cancel {job.id}` "
            "stops it.")


def already_launched_text(job: Job) -> str:
    return (f"Already launched: job `{job.id}` ({STATUS_WORDS[job.status]}). A checklist "
            f"launches one job at a time; `{COMMAND} status {job.id}` shows it.")


def status_blocks(job: Job, events: list[tuple[str, str]]) -> list[Block]:
    """One job: its progress or outcome, who launched it, and its last events."""
    text = finished_text(job, escape, mention) if job.terminal else progress_text(job, escape)
    lines = [text, f"Checklist `{escape(job.spec.checklist_id or '?')}` · launched by "
                   f"{mention(job.spec.requested_by or '?')} · "
                   f"{job.created_at:%Y-%m-%d %H:%M} UTC"]
    if events:
        lines.append("*Last events*")
        lines += [f"• {escape(message)}" for _, message in events[-LAST_EVENTS:]]
    return sections("\n".join(lines))


def jobs_blocks(jobs: list[Job]) -> list[Block]:
    if not jobs:
        return sections("No fine-tuning jobs in this channel yet. A passed checklist's "
                        f"*Launch fine-tuning* button or `{COMMAND} launch CHECKLIST_ID` "
                        "starts one.")
    lines = [f"{job_line(job)} · by {mention(job.spec.requested_by or '?')}" for job in jobs]
    return sections("*Recent fine-tuning jobs in this channel*\n" + "\n".join(lines))
