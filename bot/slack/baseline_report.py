"""A recorded baseline run as Block Kit: the score, unusable replies, the summary
metrics, the per-class / field / aspect table and the id the checklist will use."""

from __future__ import annotations

from bot.evaluation.render import BREAKDOWN_TITLES, breakdown_table, metric
from bot.evaluation.scoring import Evaluation
from bot.evaluation.store import Baseline
from bot.slack.blocks import Block, escape, sections, split_messages
from bot.slack.reports import code_sections


def headline(baseline: Baseline) -> str:
    return (f"Baseline {baseline.model}: {baseline.score:.1%} {baseline.evaluator} on "
            f"{baseline.examples:,} held-out examples")


def baseline_messages(baseline: Baseline, evaluation: Evaluation,
                      file_name: str) -> list[list[Block]]:
    lines = [f"*{escape(headline(baseline))}* ({escape(file_name)})"]
    lines += [f"• {name.replace('_', ' ')}: {metric(name, value)}"
              for name, value in evaluation.summary.items()]
    lines.append(f"• unusable replies (missing, empty, refused or unparseable): "
                 f"{baseline.failures:,}")
    blocks = sections("\n".join(lines))
    if evaluation.breakdown:
        blocks += code_sections(f"*{BREAKDOWN_TITLES[evaluation.breakdown_kind]}*",
                                "\n".join(breakdown_table(evaluation)))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"Recorded as baseline `{baseline.id}`: the checklist will use it for item 2 "
        "(prompting) when this file is its validation file, or its dataset when "
        "ft-advisor splits off the held-out set.")}]})
    return split_messages(blocks)
