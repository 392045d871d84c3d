"""Pure Block Kit builders. Everything echoed from users or documents is escaped, so
`<!channel>` or `<@U123>` inside a question or a passage never pings anyone; long
answers are split across sections and messages, never cut."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.advice.answer import Answer
from bot.jobs.messages import STATUS_WORDS
from bot.mrkdwn import escape
from bot.slack.store import RecentAnswer

if TYPE_CHECKING:
    from bot.jobs.store import Job

Block = dict[str, Any]
MAX_BLOCKS = 50  # per message
MAX_SECTION = 3000  # characters in a section's text
MAX_HEADER = 150
FEEDBACK_ACTION = "answer_feedback"
COMMAND = "/finetune"
SUBCOMMANDS_CHECKLIST = ("check", "validate")
SUBCOMMANDS_JOBS = ("launch", "status", "jobs", "cancel")
HOME_JOBS = 5
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def plain_text(text: str, limit: int) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word breaks
    where possible; joined back they hold all of `text`."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def sections(mrkdwn: str) -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_text(mrkdwn)]


def split_messages(blocks: list[Block]) -> list[list[Block]]:
    """Consecutive messages of at most 50 blocks each."""
    return [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def feedback_actions(answer: Answer) -> Block:
    value = json.dumps({"answer": answer.id, "verdict": answer.verdict})
    return {
        "type": "actions",
        "block_id": f"feedback:{answer.id}",
        "elements": [
            {"type": "button", "action_id": f"{FEEDBACK_ACTION}_up", "value": value,
             "text": plain_text("👍 Helpful", 75)},
            {"type": "button", "action_id": f"{FEEDBACK_ACTION}_down", "value": value,
             "text": plain_text("👎 Not helpful", 75)},
        ],
    }


def answer_messages(answer: Answer, asked_by: str | None = None,
                    question: str | None = None) -> list[list[Block]]:
    """The answer as one or more messages of at most 50 blocks each; the feedback
    buttons close the last one."""
    blocks: list[Block] = [{"type": "header", "text": plain_text(answer.headline, MAX_HEADER)}]
    if question is not None:
        who = f"<@{asked_by}> asked" if asked_by else "Question"
        blocks += sections(f"*{who}:* {escape(question)}")
    blocks += sections(escape(answer.answer))
    if answer.follow_up_questions:
        lines = "\n".join(f"• {escape(q)}" for q in answer.follow_up_questions)
        blocks += sections(f"*To firm this up, tell me (reply in this thread):*\n{lines}")
    if answer.sources:
        lines = "\n".join(
            f"[{i}] *{escape(s.title)}* › {escape(s.section)} — `{escape(s.path)}`"
            for i, s in enumerate(answer.sources, 1))
        blocks += sections(f"*Sources*\n{lines}")
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"Verdict: `{answer.verdict}` · answer {answer.id}"}]})
    blocks.append(feedback_actions(answer))
    return split_messages(blocks)


def fallback_text(answer: Answer) -> str:
    """Notification / screen-reader text for an answer message."""
    return escape(f"{answer.headline}: {answer.answer}")[:3000]


def help_blocks() -> list[Block]:
    text = (
        "*ft-advisor* answers _should we fine-tune?_ honestly, from a cited guidance "
        "knowledge base: fine-tuning changes behaviour and style; RAG adds knowledge.\n\n"
        f"*Ask:* `{COMMAND} ask We need strict JSON output and prompting fails 5% of the "
        "time; we have 3,000 checked examples`\n"
        f"or just `{COMMAND} <your question>`, @mention me in a channel, or DM me. Reply in "
        "the answer's thread to add details (how many examples, what you tried) and I "
        "reconsider with the whole thread in mind.\n\n"
        f"*Before fine-tuning:* `{COMMAND} check` opens the pre-launch checklist (use case, "
        "prompting, knowledge base, data, hold-out, backend, cost) and can take your JSONL "
        f"dataset; `{COMMAND} validate` checks a dataset on its own; `{COMMAND} baseline` "
        "runs your prompted model on the held-out file and records the score the "
        "checklist's prompting item cites.\n\n"
        f"*Fine-tuning jobs:* a passed checklist's *Launch fine-tuning* button or "
        f"`{COMMAND} launch CHECKLIST_ID` shows the backend, model and estimated cost, and "
        "launches when you confirm (authorised users only). Progress is posted in the "
        f"checklist's thread. `{COMMAND} jobs` lists this channel's jobs, `{COMMAND} status "
        f"[JOB]` shows one, `{COMMAND} cancel JOB` stops one."
    )
    return sections(text)


def notice_blocks(text: str) -> list[Block]:
    return sections(escape(text))


def job_line(job: Job) -> str:
    """One mrkdwn list line for a job: id, status words, backend, model, where."""
    line = (f"• `{job.id}` *{STATUS_WORDS[job.status]}* — {job.backend}, "
            f"{escape(job.spec.base_model)}")
    channel = job.spec.channel or ""
    if _CHANNEL_ID.fullmatch(channel):
        line += f" (<#{channel}>)"
    return line + f" · {job.created_at:%Y-%m-%d %H:%M} UTC"


def home_view(recent: list[RecentAnswer], jobs: Sequence[Job] = ()) -> dict[str, Any]:
    """The Home tab: help, the user's recent answers and recent fine-tuning jobs."""
    blocks: list[Block] = [{"type": "header", "text": plain_text("ft-advisor", MAX_HEADER)}]
    blocks += help_blocks()
    blocks.append({"type": "divider"})
    if recent:
        lines = "\n".join(f"• `{a.verdict}` — {escape(a.headline)} (<#{a.channel}>)"
                          for a in recent)
        blocks += sections(f"*Your recent answers*\n{lines}")
    else:
        blocks += sections("*Your recent answers*\nNone yet — ask me something.")
    if jobs:
        lines = "\n".join(job_line(job) for job in jobs[:HOME_JOBS])
        blocks += sections(f"*Your recent fine-tuning jobs*\n{lines}")
    else:
        blocks += sections("*Your recent fine-tuning jobs*\nNone yet — a passed checklist's "
                           "*Launch fine-tuning* button starts one.")
    return {"type": "home", "blocks": blocks}
