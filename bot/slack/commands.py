"""`/finetune` slash command: parse the subcommand, ack at once, work after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.baseline import NOT_CONFIGURED as BASELINE_NOT_CONFIGURED
from bot.slack.baseline import BaselineFlow
from bot.slack.blocks import SUBCOMMANDS_CHECKLIST, SUBCOMMANDS_JOBS, help_blocks, notice_blocks
from bot.slack.checklist import NOT_CONFIGURED, ChecklistFlow
from bot.slack.jobs import NOT_CONFIGURED as JOBS_NOT_CONFIGURED
from bot.slack.jobs import JobsFlow
from bot.slack.responder import Responder

SUBCOMMANDS = ("ask", "help", "baseline", *SUBCOMMANDS_CHECKLIST, *SUBCOMMANDS_JOBS)


def parse(text: str) -> tuple[str, str]:
    """(subcommand, rest). Text that does not start with a subcommand is a question."""
    stripped = text.strip()
    if not stripped:
        return "help", ""
    first, _, rest = stripped.partition(" ")
    if first.lower() in SUBCOMMANDS:
        return first.lower(), rest.strip()
    return "ask", stripped


def _notice(ack: Any, text: str) -> None:
    ack(blocks=notice_blocks(text), text=text, response_type="ephemeral")


def register(app: App, responder: Responder, checklist: ChecklistFlow | None,
             jobs: JobsFlow | None, baseline: BaselineFlow | None = None) -> None:
    @app.command("/finetune")
    def finetune(ack: Any, command: dict[str, Any], respond: Any, client: Any) -> None:
        sub, rest = parse(command.get("text", ""))
        if sub == "help" or (sub == "ask" and not rest):
            ack(blocks=help_blocks(), text="How to use /finetune", response_type="ephemeral")
            return
        if sub in SUBCOMMANDS_CHECKLIST:
            if checklist is None:
                _notice(ack, NOT_CONFIGURED)
                return
            ack()  # the modal is the answer; it must open within the trigger's 3 s
            responder.submit_now(checklist.open_modal, client, respond, sub,
                                 command["trigger_id"], command["channel_id"])
            return
        if sub == "baseline":
            if baseline is None:
                _notice(ack, BASELINE_NOT_CONFIGURED)
                return
            baseline.command(ack, command, client, respond)
            return
        if sub in SUBCOMMANDS_JOBS:
            if jobs is None:
                _notice(ack, JOBS_NOT_CONFIGURED)
                return
            jobs.command(ack, sub, rest, command, client, respond)
            return
        ack(text="Thinking about it — the answer will appear in this channel.",
            response_type="ephemeral")
        responder.submit(responder.answer_command, client, respond, command["channel_id"],
                         command["user_id"], rest)
