"""Held-out evaluation: does the fine-tuned model beat the prompted baseline?

1. `load_held_out` reads the validation JSONL; `estimate_run_cost` prices a run first.
2. `run_chat_model` (any OpenAI-compatible endpoint; `chat_client` builds the client
   from the settings) or `run_predictor` (anything with `predict(prompts) -> replies`,
   e.g. a LoRA adapter) produce predictions.
3. `pick_evaluator` chooses exact_match / json_fields / style_similarity from the
   references' shape; `compare` scores both models, bootstraps the difference and
   returns a `Comparison` (`render_text`, `render_markdown`, `bar_chart_png`).

Importing this package loads no model and opens no connection."""

from bot.evaluation.bootstrap import BootstrapResult, bootstrap_difference
from bot.evaluation.chart import bar_chart_png
from bot.evaluation.client import chat_client
from bot.evaluation.compare import compare
from bot.evaluation.comparison import Comparison
from bot.evaluation.cost import CostEstimate, estimate_run_cost
from bot.evaluation.examples import HeldOutExample, load_held_out
from bot.evaluation.json_fields import JsonFields, json_fields
from bot.evaluation.labels import ExactMatch, exact_match
from bot.evaluation.pick import pick_evaluator
from bot.evaluation.predictor import Predictor, run_predictor
from bot.evaluation.runner import RunResult, run_chat_model
from bot.evaluation.scoring import Evaluation, Evaluator, Score
from bot.evaluation.style import StyleSimilarity, style_score

__all__ = [
    "BootstrapResult",
    "Comparison",
    "CostEstimate",
    "Evaluation",
    "Evaluator",
    "ExactMatch",
    "HeldOutExample",
    "JsonFields",
    "Predictor",
    "RunResult",
    "Score",
    "StyleSimilarity",
    "bar_chart_png",
    "bootstrap_difference",
    "chat_client",
    "compare",
    "estimate_run_cost",
    "exact_match",
    "json_fields",
    "load_held_out",
    "pick_evaluator",
    "run_chat_model",
    "run_predictor",
    "style_score",
]
