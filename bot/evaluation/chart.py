"""A bar chart of a Comparison: baseline vs tuned, overall and per class / field /
aspect. Uses Matplotlib's Agg canvas directly (no pyplot, no display, no global
backend switch); Matplotlib is imported only when a chart is drawn."""

from __future__ import annotations

from pathlib import Path

from bot.evaluation.comparison import Comparison

MAX_GROUPS = 20
COLOURS = ("#9aa5b1", "#2f6fde")  # baseline grey, tuned blue


def bar_chart_png(comparison: Comparison, path: Path) -> Path:
    """Write the chart to `path` (PNG) and return it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = comparison.breakdown_rows()[:MAX_GROUPS]
    labels = ["overall", *(row.group[:24] for row in rows)]
    series = (
        [comparison.baseline.score, *(row.baseline for row in rows)],
        [comparison.tuned.score, *(row.tuned for row in rows)],
    )
    names = (comparison.baseline.name, comparison.tuned.name)
    figure = Figure(figsize=(max(6.0, 0.8 * len(labels) + 2), 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.38
    for offset, values, name, colour in zip((-width / 2, width / 2), series, names, COLOURS,
                                            strict=True):
        positions = [i + offset for i in range(len(labels))]
        axes.bar(positions, [v * 100 for v in values], width, label=name, color=colour)
    axes.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 6 else 0,
                    ha="right" if len(labels) > 6 else "center")
    axes.set_ylim(0, 118)  # headroom for the legend above the bars
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("score (%)")
    d = comparison.difference
    axes.set_title(f"{comparison.evaluator}: {d.mean_difference * 100:+.1f} points "
                   f"[{d.low * 100:+.1f}, {d.high * 100:+.1f}] — {d.verdict}", fontsize=10)
    axes.legend(loc="upper left", ncol=2, frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
