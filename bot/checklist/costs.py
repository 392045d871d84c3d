"""What fine-tuning would cost: OpenAI's hosted fine-tuning against a LoRA adapter on
a rented GPU, for training and, given a monthly volume, for inference. Every figure
used is stated in plain words in `CostTable.assumptions`."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from bot.checklist.pricing import Gpu, Pricing, SizeClass, TokenPrice
from bot.errors import ConfigError, InputError
from bot.mrkdwn import escape

_HEADERS = ("Route", "Training", "Epochs", "GPU-hours", "Inference / month")
_RIGHT = {2, 3}  # columns right-aligned in the text table


@dataclass(frozen=True)
class DatasetSize:
    examples: int
    billable_tokens: int  # one epoch, already capped per example
    mean_prompt_tokens: float
    mean_completion_tokens: float

    def __post_init__(self) -> None:
        if self.examples < 1:
            raise InputError("The dataset has no examples, so there is nothing to price.")
        if min(self.billable_tokens, self.mean_prompt_tokens, self.mean_completion_tokens) < 0:
            raise InputError("Token counts cannot be negative.")


class CostRange(BaseModel):
    """Money in the report currency, rounded to cents; low == high for a fixed price."""

    low: float
    high: float
    mid: float

    @classmethod
    def of(cls, low: float, high: float | None = None) -> CostRange:
        high = low if high is None else high
        return cls(low=round(low, 2), high=round(high, 2), mid=round((low + high) / 2, 2))


class CostRow(BaseModel):
    route: str
    kind: Literal["openai", "lora", "always-on", "current"]
    training: CostRange | None = None  # one training run
    epochs: int | None = None
    gpu_hours: float | None = None  # one training run
    monthly_inference: CostRange | None = None
    monthly_basis: str = ""  # how the monthly figure is billed, when not per token
    notes: list[str] = Field(default_factory=list)


class CostTable(BaseModel):
    as_of: dt.date
    currency: str
    rows: list[CostRow]
    assumptions: list[str]
    cheapest_training_route: str | None

    def route_estimate(self, backend: Literal["openai", "lora"]) -> tuple[float | None, str]:
        """The high end of one training run on `backend`'s route, and how it was made
        (or, with None, why there is no estimate)."""
        row = next((r for r in self.rows if r.kind == backend), None)
        if row is None:
            needs = "an OpenAI model" if backend == "openai" else "a base model"
            return None, f"No {backend} route was priced: name {needs}."
        if row.training is None:
            return None, " ".join(row.notes)
        how = f"high end of one run, {row.route}, {row.epochs} epochs"
        if row.gpu_hours is not None:
            how += f", {row.gpu_hours:,.2f} GPU-hours"
        return row.training.high, how


@dataclass(frozen=True)
class _Traffic:
    requests: int
    prompt_tokens: float
    completion_tokens: float


@dataclass(frozen=True)
class _Part:
    rows: list[CostRow]
    assumptions: list[str]


def estimate_costs(
    size: DatasetSize,
    *,
    pricing: Pricing,
    openai_model: str | None = None,
    epochs: int | None = None,
    base_model: str | None = None,
    gpu: str = "a100-80gb",
    monthly_requests: int | None = None,
    current_model: str | None = None,
) -> CostTable:
    """The cost table for the routes named: OpenAI fine-tuning of `openai_model`, LoRA on
    `base_model` with one `gpu`, and, with `monthly_requests`, what inference would cost
    on each (and on `current_model`, what the team pays today)."""
    if openai_model is None and base_model is None:
        raise InputError("Name an OpenAI model, an open base model or both to compare costs.")
    if epochs is not None and epochs < 1:
        raise InputError(f"Epochs must be at least 1, not {epochs}.")
    if monthly_requests is not None and monthly_requests < 0:
        raise InputError(f"Monthly requests cannot be negative ({monthly_requests}).")
    used_epochs = epochs if epochs is not None else pricing.auto_epochs(size.examples)
    assumptions = _general(size, pricing, epochs, used_epochs)
    traffic = None
    if monthly_requests is None:
        assumptions.append("No monthly request volume was given, so inference is not priced.")
    else:
        traffic = _Traffic(
            monthly_requests,
            monthly_requests * size.mean_prompt_tokens,
            monthly_requests * size.mean_completion_tokens,
        )
        assumptions.append(
            f"Monthly traffic: {monthly_requests:,} requests, each like an average training "
            f"example ({size.mean_prompt_tokens:,.0f} prompt + "
            f"{size.mean_completion_tokens:,.0f} completion tokens): "
            f"{traffic.prompt_tokens:,.0f} prompt and {traffic.completion_tokens:,.0f} "
            "completion tokens a month."
        )
    parts: list[_Part] = []
    if openai_model is not None:
        parts.append(_openai(size, pricing, openai_model, used_epochs, traffic))
    if base_model is not None:
        parts.append(_lora(size, pricing, base_model, gpu, used_epochs, traffic))
    if current_model is not None and traffic is not None:
        parts.append(_current(pricing, current_model, traffic))
    rows = [row for part in parts for row in part.rows]
    priced = [(row.training.mid, row.route) for row in rows if row.training is not None]
    cheapest = min(priced, key=lambda p: p[0], default=None)
    return CostTable(
        as_of=pricing.as_of,
        currency=pricing.currency,
        rows=rows,
        assumptions=assumptions + [line for part in parts for line in part.assumptions],
        cheapest_training_route=cheapest[1] if cheapest else None,
    )


def _general(size: DatasetSize, pricing: Pricing, given: int | None, epochs: int) -> list[str]:
    rate = pricing.exchange_rate
    rule = pricing.openai.auto_epochs
    n = size.examples
    if given is not None:
        why = "as given"
    elif n * rule.target < rule.min_target_examples:
        why = (
            f"OpenAI's automatic rule: {n:,} examples × {rule.target} = {n * rule.target:,} "
            f"is under {rule.min_target_examples:,}, so the smaller of {rule.max_epochs} and "
            f"{rule.min_target_examples:,} ÷ {n:,} rounded down"
        )
    elif n * rule.target > rule.max_target_examples:
        why = (
            f"OpenAI's automatic rule: {n:,} examples × {rule.target} = {n * rule.target:,} "
            f"is over {rule.max_target_examples:,}, so the larger of {rule.min_epochs} and "
            f"{rule.max_target_examples:,} ÷ {n:,} rounded down"
        )
    else:
        why = (
            f"OpenAI's automatic rule: {rule.target} epochs while examples × {rule.target} "
            f"stays between {rule.min_target_examples:,} and {rule.max_target_examples:,}, "
            f"and {n:,} × {rule.target} = {n * rule.target:,}"
        )
    return [
        f"Prices and throughputs come from the pricing file dated {pricing.as_of}; "
        "they change, so check them before deciding.",
        f"Costs are in {pricing.currency}; USD prices are converted at 1 USD = "
        f"{rate.usd_to_eur:g} {pricing.currency} (rate as of {rate.as_of}).",
        f"Epochs: {epochs}, {why}. The same number is used for every training route.",
        f"Training tokens: {size.billable_tokens:,} billable tokens per epoch × {epochs} "
        f"epochs = {size.billable_tokens * epochs:,} tokens in one training run.",
    ]


def _openai(
    size: DatasetSize, pricing: Pricing, name: str, epochs: int, traffic: _Traffic | None
) -> _Part:
    model = pricing.openai_model(name)
    fx = pricing.exchange_rate.usd_to_eur
    tokens = size.billable_tokens * epochs
    usd = tokens / 1e6 * model.training_usd_per_1m
    limit = " (assumed for this model)" if model.max_example_tokens_assumed else ""
    assumptions = [
        f"OpenAI training price for {model.name}: {_price(model.training_usd_per_1m)} per 1M "
        f"training tokens (as of {pricing.as_of}): {tokens:,} tokens = {_usd(usd)} = "
        f"{_eur(usd * fx)}.",
        f"OpenAI trains on at most {model.max_example_tokens:,} tokens per example for "
        f"{model.name}{limit}; the billable tokens are taken as already capped there.",
    ]
    notes = []
    if size.examples < model.min_examples:
        notes.append(
            f"OpenAI needs at least {model.min_examples} training examples; "
            f"this dataset has {size.examples}."
        )
    if pricing.openai.training_closes is not None:
        notes.append(
            f"{pricing.openai.availability_note} It takes no new fine-tuning jobs after "
            f"{pricing.openai.training_closes}.".strip()
        )
    if model.retires is not None:
        notes.append(f"{model.name} and fine-tunes built on it shut down on {model.retires}.")
    monthly = None
    if traffic is not None:
        price = model.fine_tuned_usd_per_1m
        monthly = CostRange.of(_token_cost(traffic, price) * fx)
        assumptions.append(
            f"Fine-tuned {model.name} inference: {_price(price.input)} per 1M input and "
            f"{_price(price.output)} per 1M output tokens (as of {pricing.as_of})."
        )
    row = CostRow(
        route=f"OpenAI fine-tune {model.name}",
        kind="openai",
        training=CostRange.of(usd * fx),
        epochs=epochs,
        monthly_inference=monthly,
        notes=notes,
    )
    return _Part([row], assumptions)


def _lora(
    size: DatasetSize,
    pricing: Pricing,
    base_model: str,
    gpu_key: str,
    epochs: int,
    traffic: _Traffic | None,
) -> _Part:
    gpu = pricing.gpu(gpu_key)
    row = CostRow(route=f"LoRA {base_model}, {gpu.label}", kind="lora")
    params = pricing.parameters_of(base_model)
    if params is None:
        row.notes.append(
            f"Cannot estimate: the size of '{base_model}' is unknown. Put the size in the "
            "name (e.g. 'llama-3.1-8b') or add the model under lora.open_models in a "
            "pricing override."
        )
        return _Part([row], [])
    size_class = pricing.size_class(params)
    if size_class is None:
        largest = max(s.max_params_b for s in pricing.lora.size_classes.values())
        row.notes.append(
            f"Cannot estimate: {params:g}B parameters is above the largest size class on "
            f"file ({largest:g}B)."
        )
        return _Part([row], [])
    rows = [row]
    assumptions = [
        f"Base model {base_model}: {params:g}B parameters, size class {size_class.label}."
    ]
    gpu_price = (
        f"{gpu.label} rent: {_eur(gpu.eur_per_hour.low)}–{_eur(gpu.eur_per_hour.high)} per "
        f"GPU-hour ({'assumed' if gpu.assumed else 'from the guidance'}, as of "
        f"{pricing.as_of}); 'mid' is the midpoint of the range."
    )
    train_rate = size_class.training_tokens_per_s.get(gpu_key)
    if train_rate is None:
        row.notes.append(_does_not_fit(pricing, size_class, gpu, "training"))
    else:
        tokens = size.billable_tokens * epochs
        overhead = pricing.gpus.job_overhead_hours
        hours = tokens / train_rate / 3600 + overhead
        row.training = CostRange.of(hours * gpu.eur_per_hour.low, hours * gpu.eur_per_hour.high)
        row.epochs = epochs
        row.gpu_hours = round(hours, 2)
        row.notes.append("One run; plan for several while tuning settings and evaluating.")
        assumptions += [
            gpu_price,
            f"LoRA training throughput: {train_rate:,.0f} tokens/s for a {size_class.label} "
            f"model on one {gpu.label} ({pricing.lora.method}; assumed, as of "
            f"{pricing.as_of}).",
            f"Per-job overhead: {overhead:g} GPU-hours (model download, loading, evaluation).",
            f"Training GPU-hours: {tokens:,} tokens ÷ {train_rate:,.0f} tokens/s ÷ 3,600 + "
            f"{overhead:g} = {hours:,.2f} h.",
        ]
    if traffic is not None:
        route = f"Self-hosted {base_model}, always-on"
        serving = _self_hosted(pricing, size_class, gpu_key, traffic, route)
        if serving is None:
            row.notes.append(_does_not_fit(pricing, size_class, gpu, "serving"))
        else:
            row.monthly_inference, row.monthly_basis = serving.busy, "per busy hour"
            rows.append(serving.always_on)
            assumptions += [gpu_price] if row.training is None else []
            assumptions += serving.assumptions
    return _Part(rows, assumptions)


@dataclass(frozen=True)
class _Serving:
    busy: CostRange
    always_on: CostRow
    assumptions: list[str]


def _self_hosted(
    pricing: Pricing, size_class: SizeClass, gpu_key: str, traffic: _Traffic, route: str
) -> _Serving | None:
    """Monthly serving cost paid per busy GPU-hour, and on always-on dedicated GPUs."""
    gpu = pricing.gpu(gpu_key)
    rate = size_class.inference_tokens_per_s.get(gpu_key)
    if rate is None:
        return None
    speedup = pricing.lora.prompt_speedup
    seconds = traffic.completion_tokens / rate + traffic.prompt_tokens / (rate * speedup)
    busy = seconds / 3600
    per_month = pricing.gpus.hours_per_month
    count = max(1, math.ceil(busy / per_month))
    gpus = f"{count} GPU" if count == 1 else f"{count} GPUs"
    low, high = gpu.eur_per_hour.low, gpu.eur_per_hour.high
    always_on = CostRow(
        route=route,
        kind="always-on",
        monthly_inference=CostRange.of(count * per_month * low, count * per_month * high),
        monthly_basis=f"always-on, {gpus}",
        notes=["You host, monitor and update the model; no provider can retire it."],
    )
    assumptions = [
        f"Self-hosted serving throughput: {rate:,.0f} generated tokens/s for a "
        f"{size_class.label} model on one {gpu.label} with batched requests; prompt tokens "
        f"are processed {speedup:g}× faster, {rate * speedup:,.0f}/s (assumed, as of "
        f"{pricing.as_of}).",
        f"Self-hosted busy time: {traffic.completion_tokens:,.0f} ÷ {rate:,.0f} + "
        f"{traffic.prompt_tokens:,.0f} ÷ {rate * speedup:,.0f} seconds = {busy:,.2f} "
        "GPU-hours a month, paid per busy hour (optimistic: it assumes requests batch "
        "well and a host that bills only busy time).",
        f"Always-on: a dedicated GPU is billed {per_month:g} hours a month, busy or not; "
        f"this volume needs {gpus}.",
    ]
    return _Serving(CostRange.of(busy * low, busy * high), always_on, assumptions)


def _current(pricing: Pricing, name: str, traffic: _Traffic) -> _Part:
    try:
        model = pricing.openai_model(name)
    except ConfigError:
        row = CostRow(route=f"Today: {name}", kind="current",
                      notes=[f"No price on file for {name}: add it to a pricing override "
                             "(FT_PRICING) to compare."])
        return _Part([row], [])
    fine_tuned = name.strip().lower().startswith("ft:")
    price = model.fine_tuned_usd_per_1m if fine_tuned else model.base_usd_per_1m
    monthly = _token_cost(traffic, price) * pricing.exchange_rate.usd_to_eur
    notes = []
    if model.retires is not None:
        notes.append(f"{model.name} shuts down on {model.retires}.")
    row = CostRow(
        route=f"Today: {name}", kind="current", monthly_inference=CostRange.of(monthly),
        notes=notes,
    )
    assumption = (
        f"Current model {name} ({'fine-tuned' if fine_tuned else 'base'} {model.name}): "
        f"{_price(price.input)} per 1M input and {_price(price.output)} per 1M output tokens "
        f"(as of {pricing.as_of})."
    )
    return _Part([row], [assumption])


def _does_not_fit(pricing: Pricing, size_class: SizeClass, gpu: Gpu, what: str) -> str:
    training = what == "training"
    table = size_class.training_tokens_per_s if training else size_class.inference_tokens_per_s
    fits = [pricing.gpus.types[k].label for k, rate in table.items() if rate is not None]
    where = f" It fits on: {', '.join(fits)}." if fits else ""
    remedy = "QLoRA (4-bit)" if training else "a quantised model"
    return (
        f"Cannot estimate {what}: a {size_class.label} model does not fit on one {gpu.label} "
        f"in bf16; it needs {remedy} or several GPUs.{where}"
    )


def _token_cost(traffic: _Traffic, price: TokenPrice) -> float:
    """USD for a month of traffic at `price` per 1M tokens."""
    return (traffic.prompt_tokens * price.input + traffic.completion_tokens * price.output) / 1e6


def render_cost_table(table: CostTable) -> str:
    """Plain text: the aligned table, the notes, the cheapest run and every assumption."""
    lines = [_title(table), "", _aligned(table), ""]
    lines += ["Notes:", *(f"- {note}" for note in _notes(table)), ""] if _notes(table) else []
    cheapest = _cheapest(table)
    lines += [cheapest, ""] if cheapest else []
    lines += ["Assumptions:", *(f"- {line}" for line in table.assumptions)]
    return "\n".join(lines)


def cost_table_markdown(table: CostTable) -> str:
    """Slack mrkdwn: the aligned table in a code block (Slack has no tables), then lists."""
    lines = [f"*{escape(_title(table))}*", f"```\n{escape(_aligned(table))}\n```"]
    if _notes(table):
        lines += ["*Notes*", *(f"• {escape(note)}" for note in _notes(table))]
    cheapest = _cheapest(table)
    if cheapest:
        lines.append(escape(cheapest))
    lines += ["*Assumptions*", *(f"• {escape(line)}" for line in table.assumptions)]
    return "\n".join(lines)


def _title(table: CostTable) -> str:
    return f"Fine-tuning cost comparison ({table.currency}, prices as of {table.as_of})"


def _aligned(table: CostTable) -> str:
    grid = [_HEADERS, *(_cells(row) for row in table.rows)]
    widths = [max(len(cells[i]) for cells in grid) for i in range(len(_HEADERS))]

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            c.rjust(w) if i in _RIGHT else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(grid[0]), rule, *(line(cells) for cells in grid[1:])])


def _cells(row: CostRow) -> tuple[str, ...]:
    monthly = _range(row.monthly_inference)
    if row.monthly_inference is not None and row.monthly_basis:
        monthly = f"{row.monthly_basis}: {monthly}"
    return (
        row.route,
        _range(row.training),
        "–" if row.epochs is None else str(row.epochs),
        "–" if row.gpu_hours is None else f"{row.gpu_hours:,.2f}",
        monthly,
    )


def _notes(table: CostTable) -> list[str]:
    return [f"{row.route}: {note}" for row in table.rows for note in row.notes]


def _cheapest(table: CostTable) -> str | None:
    for row in table.rows:
        if row.route == table.cheapest_training_route and row.training is not None:
            return f"Cheapest training run (by midpoint): {row.route}, {_eur(row.training.mid)}."
    return None


def _range(cost: CostRange | None) -> str:
    if cost is None:
        return "–"
    if cost.low == cost.high:
        return _eur(cost.low)
    return f"{_eur(cost.low)}–{_eur(cost.high)} (mid {_eur(cost.mid)})"


def _eur(amount: float) -> str:
    if 0 < amount < 0.005:
        return "under €0.01"
    return f"€{amount:,.2f}"


def _usd(amount: float) -> str:
    return "under $0.01" if 0 < amount < 0.005 else f"${amount:,.2f}"


def _price(per_1m: float) -> str:
    """A unit price: cents, or more digits when the price has them ($0.075)."""
    return f"${per_1m:,.2f}" if round(per_1m, 2) == per_1m else f"${per_1m:,.4g}"
