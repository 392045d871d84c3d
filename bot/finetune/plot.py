"""The loss-curve PNG of a finished run (matplotlib's Agg canvas; no pyplot, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_loss_curve(history: list[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Training loss per logging step and validation loss per evaluation, against step."""
    train = [(r["step"], r["loss"]) for r in history if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in history if r.get("eval_loss") is not None]
    figure = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if train:
        axes.plot(*zip(*train, strict=True), label="training loss")
    if evals:
        axes.plot(*zip(*evals, strict=True), marker="o", label="validation loss")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_title(title or "LoRA fine-tuning")
    axes.grid(alpha=0.3)
    if train or evals:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path
