"""Checklist results and validation reports as Block Kit messages. Pure; everything
that came from users or their files is escaped, and long content is split across
sections and messages within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.checklist.result import ICONS, ChecklistResult
from bot.datasets.report import ERRORS, WARNINGS
from bot.slack.blocks import (
    MAX_HEADER,
    MAX_SECTION,
    Block,
    escape,
    plain_text,
    sections,
    split_messages,
    split_text,
)

LAUNCH_ACTION = "ft_launch"
TOP_PROBLEMS = 5  # kinds of error / warning listed
TOP_LINES = 5  # line numbers listed per kind
FENCE = "```"


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:MAX_SECTION]}]}


def code_sections(title: str, text: str) -> list[Block]:
    """`text` in mrkdwn code blocks under `title`, cut at line ends so columns stay
    aligned and every piece is a closed code block."""
    room = MAX_SECTION - len(title) - 2 * len(FENCE) - 2
    pieces: list[str] = []
    current = ""
    for line in escape(text.rstrip()).splitlines():
        for part in split_text(line, room) if len(line) > room else [line]:
            if current and len(current) + 1 + len(part) > room:
                pieces.append(current)
                current = part
            else:
                current = f"{current}\n{part}" if current else part
    pieces.append(current)
    return [{"type": "section", "text": {
        "type": "mrkdwn", "text": f"{title}\n{FENCE}{piece}{FENCE}" if i == 0
        else f"{FENCE}{piece}{FENCE}"}} for i, piece in enumerate(pieces)]


def _problems(title: str, problems: dict[str, Any], hints: dict[str, str]) -> list[str]:
    ranked = sorted(problems.items(), key=lambda kv: -int(kv[1].get("count", 0)))
    lines = [f"*{title}*"] if ranked else []
    for name, problem in ranked[:TOP_PROBLEMS]:
        count = int(problem.get("count", 0))
        numbers = [str(n) for n in problem.get("lines") or []]
        where = ""
        if numbers:
            more = "…" if len(numbers) > TOP_LINES or count > len(numbers) else ""
            label = "line" if len(numbers) == 1 and not more else "lines"
            where = f" — {label} {', '.join(numbers[:TOP_LINES])}{more}"
        hint = f": {hints[name]}" if name in hints else ""
        lines.append(f"• {escape(name.replace('_', ' '))} ×{count:,}{hint}{where}")
    if len(ranked) > TOP_PROBLEMS:
        lines.append(f"• and {len(ranked) - TOP_PROBLEMS} more kinds")
    return lines


def _tokens(tokens: dict[str, Any]) -> list[str]:
    if tokens.get("total") is None:
        return []
    how = f"encoding `{escape(str(tokens.get('encoding')))}`"
    if tokens.get("exact") is False:
        how += ", estimated: the model's tokenizer is not available"
    line = f"• Tokens: {tokens['total']:,} per epoch ({how})"
    if tokens.get("truncated_examples"):
        line += (f"; {tokens['truncated_examples']:,} examples over "
                 f"{tokens.get('max_example_tokens', 0):,} tokens are truncated")
    return [line]


def validation_text(report: dict[str, Any], usable: bool | None = None,
                    title: str = "Dataset validation") -> str:
    """The report's summary as mrkdwn: verdict, counts, tokens, top problems with the
    first line numbers. `usable` defaults to the report's own, or to no errors."""
    errors = report.get("errors") or {}
    if usable is None:
        usable = bool(report.get("usable", not errors))
    verdict = "usable ✅" if usable else "has blocking errors ❌"
    lines = [f"*{title}:* {verdict}"]
    counts = (f"{report.get('examples', 0):,} examples, "
              f"{report.get('invalid_examples', 0):,} invalid")
    fmt = report.get("format")
    lines.append(f"• Format: `{escape(str(fmt))}` · {counts}" if fmt else f"• {counts}")
    lines += _tokens(report.get("tokens") or {})
    lines += _problems("Blocking errors", errors, ERRORS)
    lines += _problems("Warnings", report.get("warnings") or {}, WARNINGS)
    nested = report.get("validation")
    if isinstance(nested, dict):
        lines += ["", validation_text(nested, title="Validation file")]
    return "\n".join(lines)


def launch_actions(checklist_id: str) -> Block:
    return {"type": "actions", "block_id": f"launch:{checklist_id}", "elements": [
        {"type": "button", "action_id": LAUNCH_ACTION, "style": "primary",
         "value": checklist_id, "text": plain_text("Launch fine-tuning", 75)}]}


def checklist_messages(result: ChecklistResult) -> list[list[Block]]:
    """One section per item (icon, title, reason) with its citation as context, then
    the validation summary and the cost table; the Launch button only when every item
    passed."""
    blocks: list[Block] = [
        {"type": "header", "text": plain_text("Pre-launch checklist", MAX_HEADER)},
        *sections(escape(result.summary())),
    ]
    for item in result.items:
        blocks += sections(f"{ICONS[item.status]} *{escape(item.title)}* — "
                           f"{escape(item.reason)}")
        blocks.append(_context(f"{escape(item.citation.path)} › "
                               f"{escape(item.citation.section)}"))
    if result.validation:
        blocks.append({"type": "divider"})
        blocks += sections(validation_text(result.validation))
    if result.cost_text:
        blocks += code_sections("*Cost estimate*", result.cost_text)
    if result.passed:
        blocks.append(launch_actions(result.id))
    return split_messages(blocks)


def validation_messages(name: str, report: dict[str, Any], usable: bool) -> list[list[Block]]:
    blocks = sections(validation_text(report, usable, title=f"Validation of {escape(name)}"))
    return split_messages(blocks)
