"""A Comparison as plain text (CLI) or Slack mrkdwn. Texts from the held-out set and
the models are escaped in mrkdwn, so they cannot mention anyone or break the layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.mrkdwn import escape

if TYPE_CHECKING:
    from bot.evaluation.comparison import Comparison, ExampleContrast
    from bot.evaluation.scoring import Evaluation

MAX_ROWS = 15
HEADLINES = {
    "better": "Fine-tuning beat the prompted baseline on the held-out set.",
    "worse": "Fine-tuning did worse than the prompted baseline on the held-out set.",
    "not different beyond noise": "Fine-tuning and the prompted baseline are not different "
                                  "beyond noise on the held-out set.",
}
BREAKDOWN_TITLES = {
    "class": "Per class (recall: that label's examples answered correctly; precision after)",
    "field": "Per field (reference values reproduced)",
    "style": "Per aspect (agreement with the reference)",
}


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def metric(name: str, value: float) -> str:
    """A summary metric: cosine as a number, length ratio as a factor, others as %."""
    if name == "cosine":
        return f"{value:.2f}"
    return f"{value:.2f}×" if name == "length_ratio" else _pct(value)


def numbers(c: Comparison) -> str:
    d = c.difference
    return (f"{c.tuned.name} {_pct(c.tuned.score)} vs {c.baseline.name} "
            f"{_pct(c.baseline.score)}: {d.mean_difference * 100:+.1f} points "
            f"({d.confidence:.0%} interval {d.low * 100:+.1f} to {d.high * 100:+.1f}; "
            f"{d.resamples:,} paired bootstrap resamples over {c.examples:,} examples, "
            f"scored with {c.evaluator}).")


def _summary_lines(c: Comparison) -> list[str]:
    lines = [f"{name.replace('_', ' ')}: {metric(name, value)} → "
             f"{metric(name, c.tuned.summary.get(name, 0.0))}"
             for name, value in c.baseline.summary.items()]
    lines.append(f"unusable replies: {c.baseline.failures} → {c.tuned.failures}")
    return lines


def _table(c: Comparison) -> list[str]:
    rows = c.breakdown_rows()
    width = max([len("group"), *(len(r.group[:40]) for r in rows[:MAX_ROWS])])
    lines = [f"{'group':<{width}}  {'n':>6}  {'baseline':>8}  {'tuned':>8}"]
    for row in rows[:MAX_ROWS]:
        line = (f"{row.group[:40]:<{width}}  {row.support:>6}  {_pct(row.baseline):>8}  "
                f"{_pct(row.tuned):>8}")
        precision = _precisions(c, row.group)
        lines.append(line + (f"  (precision {precision})" if precision else ""))
    if len(rows) > MAX_ROWS:
        lines.append(f"… and {len(rows) - MAX_ROWS} more")
    return lines


def breakdown_table(evaluation: Evaluation) -> list[str]:
    """One evaluation's groups (classes, fields or aspects) as aligned rows: support,
    score and the secondary metrics (a class's recall is its score: not repeated)."""
    groups = list(evaluation.breakdown.items())
    shown = groups[:MAX_ROWS]
    extra = [m for m in (groups[0][1].metrics if groups else {}) if m != "recall"]
    width = max([len("group"), *(len(name[:40]) for name, _ in shown)])
    lines = [f"{'group':<{width}}  {'n':>6}  {'score':>7}"
             + "".join(f"  {m:>9}" for m in extra)]
    for name, group in shown:
        lines.append(f"{name[:40]:<{width}}  {group.support:>6}  {_pct(group.value):>7}"
                     + "".join(f"  {_pct(group.metrics.get(m, 0.0)):>9}" for m in extra))
    if len(groups) > MAX_ROWS:
        lines.append(f"… and {len(groups) - MAX_ROWS} more")
    return lines


def _precisions(c: Comparison, group: str) -> str:
    base = c.baseline.breakdown[group].metrics.get("precision")
    tuned = c.tuned.breakdown.get(group)
    if base is None or tuned is None or "precision" not in tuned.metrics:
        return ""
    return f"{_pct(base)} → {_pct(tuned.metrics['precision'])}"


def _contrast_lines(example: ExampleContrast, c: Comparison) -> list[str]:
    return [
        f"example {example.index + 1} ({c.baseline.name} {example.baseline_score:.2f} → "
        f"{c.tuned.name} {example.tuned_score:.2f})",
        f"prompt: {example.prompt}",
        f"reference: {example.reference}",
        f"{c.baseline.name}: {example.baseline}",
        f"{c.tuned.name}: {example.tuned}",
    ]


def _examples(c: Comparison) -> list[tuple[str, list[ExampleContrast]]]:
    return [(title, found) for title, found in (("Where tuning helped most", c.helped),
                                                ("Where tuning hurt most", c.hurt)) if found]


def as_text(c: Comparison) -> str:
    lines = [HEADLINES[c.verdict], numbers(c)]
    if c.advice:
        lines.append(c.advice)
        lines += [f"  [{ref.path} › {ref.section}]" for ref in c.citations]
    lines += ["", BREAKDOWN_TITLES[c.breakdown_kind] + ":"]
    lines += [f"  {line}" for line in _table(c)]
    lines += ["", f"Summary ({c.baseline.name} → {c.tuned.name}):"]
    lines += [f"  {line}" for line in _summary_lines(c)]
    for title, found in _examples(c):
        lines += ["", f"{title}:"]
        for example in found:
            first, *rest = _contrast_lines(example, c)
            lines += [f"  {first}", *(f"      {line}" for line in rest)]
    return "\n".join(lines)


def as_mrkdwn(c: Comparison) -> str:
    lines = [f"*{HEADLINES[c.verdict]}*", escape(numbers(c))]
    if c.advice:
        lines.append(escape(c.advice))
        lines += [f"_{escape(ref.path)} › {escape(ref.section)}_" for ref in c.citations]
    lines += ["", f"*{BREAKDOWN_TITLES[c.breakdown_kind]}*",
              "```" + "\n".join(escape(line) for line in _table(c)) + "```"]
    lines += ["", f"*Summary ({escape(c.baseline.name)} → {escape(c.tuned.name)})*"]
    lines += [f"• {escape(line)}" for line in _summary_lines(c)]
    for title, found in _examples(c):
        lines += ["", f"*{title}*"]
        for example in found:
            first, *rest = _contrast_lines(example, c)
            lines += [f"• {escape(first)}", *(f"> {escape(line)}" for line in rest)]
    return "\n".join(lines)
