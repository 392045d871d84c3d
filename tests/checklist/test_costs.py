"""Cost comparison: the arithmetic against hand-computed figures, the bundled pricing
file and its overrides, and the assumptions shown to the user."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.checklist.costs import (
    CostRange,
    CostRow,
    CostTable,
    DatasetSize,
    cost_table_markdown,
    estimate_costs,
    render_cost_table,
)
from bot.checklist.pricing import Pricing, load_pricing
from bot.errors import ConfigError, InputError

# 1,000 examples, 1,000,000 billable tokens per epoch, requests like 500 + 50 tokens.
SIZE = DatasetSize(
    examples=1_000, billable_tokens=1_000_000, mean_prompt_tokens=500, mean_completion_tokens=50
)


@pytest.fixture(scope="module")
def pricing() -> Pricing:
    return load_pricing()


def _row(table: CostTable, starts: str) -> CostRow:
    return next(row for row in table.rows if row.route.startswith(starts))


def _low_high(cost: CostRange | None) -> tuple[float, float]:
    assert cost is not None
    return cost.low, cost.high


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the bundled file -------------------------------------------------------------


def test_bundled_file_is_dated_and_in_euros(pricing: Pricing) -> None:
    assert pricing.as_of == dt.date(2026, 11, 28)
    assert pricing.currency == "EUR"
    assert pricing.exchange_rate.usd_to_eur == 0.86
    for section in (pricing.exchange_rate, pricing.openai, pricing.gpus, pricing.lora):
        assert section.sources.strip()


def test_bundled_openai_figures(pricing: Pricing) -> None:
    mini = pricing.openai.models["gpt-4o-mini-2024-07-18"]
    assert (mini.training_usd_per_1m, mini.fine_tuned_usd_per_1m.input,
            mini.fine_tuned_usd_per_1m.output) == (3.00, 0.30, 1.20)
    assert (mini.base_usd_per_1m.input, mini.base_usd_per_1m.output) == (0.15, 0.60)
    assert (mini.encoding, mini.max_example_tokens, mini.min_examples) == ("o200k_base", 65_536, 10)
    retiring = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"]
    assert {pricing.openai_model(m).retires for m in retiring} == {dt.date(2027, 1, 14)}
    assert pricing.openai_model("gpt-4.1-nano").retires is None


def test_a100_range_is_the_guidance(pricing: Pricing) -> None:
    a100 = pricing.gpu("a100-80gb")
    assert (a100.eur_per_hour.low, a100.eur_per_hour.high, a100.assumed) == (2.0, 5.0, False)
    assert all(pricing.gpu(k).assumed for k in ("h100-80gb", "l40s", "a10g-24gb"))


# --- helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),  # 3 passes: min(25, 100 // 1 = 100)
        (5, 20),  # 15 passes: min(25, 100 // 5 = 20)
        (33, 3),  # 99 passes, under 100: min(25, 100 // 33 = 3)
        (34, 3),  # 102 passes: the target
        (100, 3),
        (8_333, 3),  # 24,999 passes: still the target
        (8_334, 2),  # 25,002 passes, over 25,000: max(1, 25,000 // 8,334 = 2)
        (25_000, 1),  # max(1, 25,000 // 25,000 = 1)
        (100_000, 1),  # max(1, 0)
    ],
)
def test_auto_epochs_boundaries(pricing: Pricing, examples: int, epochs: int) -> None:
    assert pricing.auto_epochs(examples) == epochs


def test_auto_epochs_needs_an_example(pricing: Pricing) -> None:
    with pytest.raises(ValueError):
        pricing.auto_epochs(0)


@pytest.mark.parametrize(
    ("name", "snapshot"),
    [
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        (" GPT-4o-Mini ", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18"),
        ("gpt-4o", "gpt-4o-2024-08-06"),
        ("gpt-4.1", "gpt-4.1-2025-04-14"),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
        ("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"),
        ("ft:gpt-4o-mini-2024-07-18:org::id", "gpt-4o-mini-2024-07-18"),
        ("ft:gpt-4.1-2025-04-14:my-org:support-bot:AbC123", "gpt-4.1-2025-04-14"),
    ],
)
def test_openai_aliases(pricing: Pricing, name: str, snapshot: str) -> None:
    assert pricing.openai_model(name).name == snapshot


def test_unknown_openai_model_lists_the_known_ones(pricing: Pricing) -> None:
    with pytest.raises(ConfigError) as err:
        pricing.openai_model("gpt-5")
    message = str(err.value)
    assert "'gpt-5'" in message
    assert all(name in message for name in pricing.openai.models)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("Qwen2.5-7B-Instruct", 7),
        ("Qwen/Qwen2-0.5B", 0.5),
        ("my-org/llama-3.1-8b", 8),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", 70),
        ("unsloth/llama-3-8b-bnb-4bit", 8),
        ("mistralai/Mistral-7B-Instruct-v0.3", 7),
        ("Mistral 7B", 7),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 47),  # named: not the "7B" in the name
        ("microsoft/Phi-3-mini-4k-instruct", 3.8),  # named: no size in the name
        ("google/gemma-2-9b-it", 9),
        ("0.5B", 0.5),
        ("acme-13b-chat", 13),  # parsed
        ("HuggingFaceTB/SmolLM2-360M", 0.36),
        ("my-custom-model", None),
    ],
)
def test_parameters_of(pricing: Pricing, name: str, params: float | None) -> None:
    assert pricing.parameters_of(name) == params


def test_size_classes(pricing: Pricing) -> None:
    labels = {p: (c.label if (c := pricing.size_class(p)) else None) for p in (0.5, 8, 9, 72, 405)}
    assert labels == {0.5: "≤1B", 8: "≤8B", 9: "≤14B", 72: "≤72B", 405: None}


# --- overrides --------------------------------------------------------------------


def test_override_changes_only_that_price(pricing: Pricing, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "openai:\n  models:\n    gpt-4o-mini-2024-07-18:\n      training_usd_per_1m: 4.5\n",
    )
    changed = load_pricing(path)
    expected = pricing.model_dump()
    expected["openai"]["models"]["gpt-4o-mini-2024-07-18"]["training_usd_per_1m"] = 4.5
    assert changed.model_dump() == expected
    # 3,000,000 tokens × $4.50 / 1M = $13.50 × 0.86 = €11.61
    table = estimate_costs(SIZE, pricing=changed, openai_model="gpt-4o-mini")
    assert _low_high(_row(table, "OpenAI").training) == (11.61, 11.61)


def test_override_adds_a_named_model_and_a_gpu_price(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "lora:\n  open_models:\n    acme-base: 8\n"
        "gpus:\n  types:\n    a100-80gb:\n      eur_per_hour: {low: 1.0, high: 1.0}\n",
    )
    changed = load_pricing(path)
    assert changed.parameters_of("acme/acme-base") == 8
    assert changed.parameters_of("llama-3-70b") == 70  # the bundled names stay
    table = estimate_costs(SIZE, pricing=changed, base_model="acme/acme-base")
    # (3,000,000 ÷ 3,000 ÷ 3,600 + 0.25) h × €1 = €0.53
    assert _low_high(_row(table, "LoRA").training) == (0.53, 0.53)


def test_empty_override_is_the_bundled_file(pricing: Pricing, tmp_path: Path) -> None:
    assert load_pricing(_write(tmp_path, "")) == pricing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai: {models: [", "not valid YAML"),
        ("- a list\n", "must be a mapping"),
        (
            "openai:\n  models:\n    gpt-4o-mini-2024-07-18:\n      training_usd_per_1m: cheap\n",
            "openai.models.gpt-4o-mini-2024-07-18.training_usd_per_1m",
        ),
        ("gpus:\n  job_overhead_hour: 0.5\n", "gpus.job_overhead_hour"),  # a typo
        ("gpus:\n  types:\n    l40s:\n      eur_per_hour: {low: 3, high: 2}\n", "gpus.types.l40s"),
        ("currency: USD\n", "currency"),
        ("lora:\n  size_classes:\n    8b:\n      training_tokens_per_s: {tpu: 1}\n", "tpu"),
    ],
)
def test_malformed_override_names_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_pricing(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the pricing override"):
        load_pricing(tmp_path / "nope.yaml")


# --- training arithmetic ----------------------------------------------------------


def test_openai_training_cost(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, openai_model="gpt-4o-mini")
    row = _row(table, "OpenAI fine-tune gpt-4o-mini-2024-07-18")
    # 1,000 examples × 3 = 3,000 passes → 3 epochs; 3,000,000 tokens × $3.00 / 1M = $9.00
    # $9.00 × 0.86 = €7.74
    assert row.epochs == 3
    assert row.training == CostRange(low=7.74, high=7.74, mid=7.74)
    assert row.monthly_inference is None


def test_given_epochs_are_used(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, openai_model="gpt-4o", epochs=4)
    # 4,000,000 tokens × $25.00 / 1M = $100.00 × 0.86 = €86.00
    row = _row(table, "OpenAI")
    assert row.epochs == 4
    assert _low_high(row.training) == (86.00, 86.00)
    assert any("Epochs: 4, as given" in line for line in table.assumptions)


def test_lora_training_cost(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, base_model="meta-llama/Llama-3.1-8B-Instruct")
    row = _row(table, "LoRA")
    # 3,000,000 tokens ÷ 3,000 tokens/s = 1,000 s = 0.2778 h, + 0.25 h = 0.5278 GPU-hours
    # × €2 = €1.0556, × €5 = €2.6389, midpoint €1.8472
    assert row.gpu_hours == 0.53
    assert row.training == CostRange(low=1.06, high=2.64, mid=1.85)
    assert row.route == "LoRA meta-llama/Llama-3.1-8B-Instruct, A100 80GB"


def test_lora_on_another_gpu(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, base_model="qwen2.5-14b", gpu="h100-80gb")
    # 3,000,000 ÷ 3,400 ÷ 3,600 = 0.2451 h + 0.25 = 0.4951 h; × €2.50 = €1.24, × €7 = €3.47
    row = _row(table, "LoRA")
    assert row.gpu_hours == 0.5
    assert _low_high(row.training) == (1.24, 3.47)


def test_cheapest_training_route(pricing: Pricing) -> None:
    table = estimate_costs(
        SIZE, pricing=pricing, openai_model="gpt-4o-mini", base_model="llama-3.1-8b"
    )
    assert table.cheapest_training_route == "LoRA llama-3.1-8b, A100 80GB"  # €1.85 vs €7.74


def test_route_estimate_is_the_high_end_of_one_run(pricing: Pricing) -> None:
    table = estimate_costs(
        SIZE, pricing=pricing, openai_model="gpt-4o-mini", base_model="llama-3.1-8b"
    )
    assert table.route_estimate("openai")[0] == 7.74
    lora, how = table.route_estimate("lora")
    assert lora == 2.64 and "0.53 GPU-hours" in how
    only_openai = estimate_costs(SIZE, pricing=pricing, openai_model="gpt-4o-mini")
    assert only_openai.route_estimate("lora") == (
        None, "No lora route was priced: name a base model."
    )
    unknown = estimate_costs(SIZE, pricing=pricing, base_model="our-secret-model")
    estimate, why = unknown.route_estimate("lora")
    assert estimate is None and "our-secret-model" in why


def test_unknown_base_model_row_says_why(pricing: Pricing) -> None:
    table = estimate_costs(
        SIZE, pricing=pricing, openai_model="gpt-4o-mini", base_model="our-secret-model",
        monthly_requests=1_000,
    )
    row = _row(table, "LoRA")
    assert row.training is None and row.monthly_inference is None
    assert "Cannot estimate" in row.notes[0] and "our-secret-model" in row.notes[0]
    assert table.cheapest_training_route == "OpenAI fine-tune gpt-4o-mini-2024-07-18"
    assert "Cannot estimate" in render_cost_table(table)


def test_model_too_big_for_one_gpu(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, base_model="llama-3.1-8b", gpu="a10g-24gb")
    row = _row(table, "LoRA")
    assert row.training is None
    assert "QLoRA" in row.notes[0] and "A100 80GB" in row.notes[0]  # where it does fit
    huge = estimate_costs(SIZE, pricing=pricing, base_model="llama-3.1-405b")
    assert "above the largest size class" in _row(huge, "LoRA").notes[0]


def test_too_few_examples_for_openai_is_noted(pricing: Pricing) -> None:
    small = DatasetSize(examples=5, billable_tokens=5_000, mean_prompt_tokens=0,
                        mean_completion_tokens=0)
    table = estimate_costs(small, pricing=pricing, openai_model="gpt-4o-mini")
    row = _row(table, "OpenAI")
    assert row.epochs == 20
    assert any("at least 10" in note for note in row.notes)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"openai_model": "gpt-4o-mini", "epochs": 0},
     {"openai_model": "gpt-4o-mini", "monthly_requests": -1}],
)
def test_bad_inputs(pricing: Pricing, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        estimate_costs(SIZE, pricing=pricing, **kwargs)


def test_empty_dataset_is_an_input_error() -> None:
    with pytest.raises(InputError):
        DatasetSize(examples=0, billable_tokens=0, mean_prompt_tokens=0, mean_completion_tokens=0)


def test_unknown_gpu_lists_the_known_ones(pricing: Pricing) -> None:
    with pytest.raises(ConfigError, match="a100-80gb"):
        estimate_costs(SIZE, pricing=pricing, base_model="llama-3.1-8b", gpu="tpu-v5")


# --- monthly inference ------------------------------------------------------------


def test_monthly_inference_rows(pricing: Pricing) -> None:
    table = estimate_costs(
        SIZE, pricing=pricing, openai_model="gpt-4o-mini", base_model="llama-3.1-8b",
        monthly_requests=100_000, current_model="gpt-4o",
    )
    # 100,000 requests × 500 = 50,000,000 prompt and × 50 = 5,000,000 completion tokens.
    # Fine-tuned 4o-mini: 50 × $0.30 + 5 × $1.20 = $21.00 × 0.86 = €18.06
    assert _low_high(_row(table, "OpenAI").monthly_inference) == (18.06, 18.06)
    # Today, base gpt-4o: 50 × $2.50 + 5 × $10.00 = $175.00 × 0.86 = €150.50
    today = _row(table, "Today: gpt-4o")
    assert _low_high(today.monthly_inference) == (150.50, 150.50)
    assert today.training is None
    # Self-hosted 8B on A100: 5,000,000 ÷ 2,500 + 50,000,000 ÷ 12,500 = 6,000 s = 1.6667 h
    # per busy hour: × €2 = €3.33, × €5 = €8.33
    lora = _row(table, "LoRA")
    assert _low_high(lora.monthly_inference) == (3.33, 8.33)
    assert lora.monthly_basis == "per busy hour"
    # always-on: one GPU for 730 h × €2 = €1,460, × €5 = €3,650
    always = _row(table, "Self-hosted llama-3.1-8b, always-on")
    assert _low_high(always.monthly_inference) == (1460.0, 3650.0)
    assert always.monthly_basis == "always-on, 1 GPU"
    text = render_cost_table(table)
    assert "€1,460.00–€3,650.00" in text and "€150.50" in text


def test_always_on_needs_more_gpus_at_high_volume(pricing: Pricing) -> None:
    size = DatasetSize(examples=1_000, billable_tokens=1_000_000, mean_prompt_tokens=1_250,
                       mean_completion_tokens=1_000)
    table = estimate_costs(size, pricing=pricing, base_model="llama-3.1-8b",
                           monthly_requests=10_000_000)
    # per request 1,000 ÷ 2,500 + 1,250 ÷ 12,500 = 0.5 s; × 10,000,000 = 5,000,000 s
    # = 1,388.89 GPU-hours → 2 always-on GPUs × 730 h × €2 / €5 = €2,920 / €7,300
    assert _low_high(_row(table, "LoRA").monthly_inference) == (2777.78, 6944.44)
    always = _row(table, "Self-hosted")
    assert always.monthly_basis == "always-on, 2 GPUs"
    assert _low_high(always.monthly_inference) == (2920.0, 7300.0)


def test_current_fine_tune_pays_fine_tuned_prices(pricing: Pricing) -> None:
    table = estimate_costs(
        SIZE, pricing=pricing, base_model="llama-3.1-8b", monthly_requests=100_000,
        current_model="ft:gpt-4o-mini-2024-07-18:org::abc",
    )
    # same as the fine-tuned 4o-mini above: €18.06
    assert _low_high(_row(table, "Today").monthly_inference) == (18.06, 18.06)


def test_no_traffic_no_inference_rows(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, base_model="llama-3.1-8b",
                           current_model="gpt-4o")
    assert [row.route for row in table.rows] == ["LoRA llama-3.1-8b, A100 80GB"]
    assert any("No monthly request volume" in line for line in table.assumptions)


# --- what the user sees -----------------------------------------------------------


@pytest.fixture(scope="module")
def full_table(pricing: Pricing) -> CostTable:
    return estimate_costs(
        SIZE, pricing=pricing, openai_model="gpt-4o-mini", base_model="llama-3.1-8b",
        monthly_requests=100_000, current_model="gpt-4o",
    )


def test_every_assumption_is_stated_with_its_number(full_table: CostTable) -> None:
    stated = "\n".join(full_table.assumptions)
    for figure in (
        "2026-11-28",  # the data file's date
        "Costs are in EUR", "1 USD = 0.86 EUR",  # currency and exchange rate
        "Epochs: 3, OpenAI's automatic rule", "1,000 × 3 = 3,000",  # epochs and why
        "$3.00 per 1M training tokens", "$9.00 = €7.74",  # OpenAI training price
        "65,536 tokens per example",
        "$0.30 per 1M input and $1.20 per 1M output",  # fine-tuned inference
        "$2.50 per 1M input and $10.00 per 1M output",  # today's model
        "3,000 tokens/s", "€2.00–€5.00 per GPU-hour", "from the guidance",  # LoRA
        "0.25 GPU-hours", "= 0.53 h",  # overhead and GPU-hours
        "2,500 generated tokens/s", "5× faster", "1.67 GPU-hours a month",  # serving
        "730 hours a month",  # always-on
        "100,000 requests", "50,000,000 prompt and 5,000,000 completion tokens",
    ):
        assert figure in stated, figure


def test_rendered_text_holds_table_and_all_assumptions(full_table: CostTable) -> None:
    text = render_cost_table(full_table)
    for line in full_table.assumptions:
        assert line in text
    header = next(line for line in text.splitlines() if line.startswith("Route"))
    assert "Training" in header and "Inference / month" in header
    assert "€1.06–€2.64 (mid €1.85)" in text
    assert "Cheapest training run (by midpoint): LoRA llama-3.1-8b, A100 80GB, €1.85." in text
    # columns line up: every table line starts its "Epochs" cell at the same place
    table_lines = text.split("\n\n")[1].splitlines()
    epochs_end = header.index("Epochs") + len("Epochs")
    assert all(line[epochs_end - 1] in "3–-" for line in table_lines[1:])


def test_markdown_is_slack_mrkdwn(full_table: CostTable) -> None:
    md = cost_table_markdown(full_table)
    assert md.count("```") == 2
    assert "|" not in md  # no markdown tables
    for line in full_table.assumptions:
        assert f"• {line}" in md
    table = md.split("```")[1]
    assert "€7.74" in table and "Route" in table


def test_markdown_escapes_slack_control_characters(pricing: Pricing) -> None:
    table = estimate_costs(SIZE, pricing=pricing, base_model="<!channel> & co")
    md = cost_table_markdown(table)
    assert "<!channel>" not in md and "&lt;!channel&gt; &amp; co" in md


def test_tiny_amounts_are_not_shown_as_zero(pricing: Pricing) -> None:
    tiny = DatasetSize(examples=10, billable_tokens=100, mean_prompt_tokens=10,
                       mean_completion_tokens=1)
    table = estimate_costs(tiny, pricing=pricing, openai_model="gpt-4.1-nano",
                           epochs=1, monthly_requests=1)
    # 100 tokens × $1.50 / 1M = $0.00015
    assert "under €0.01" in render_cost_table(table)


def test_a_current_model_without_a_price_gets_a_row_not_an_error() -> None:
    table = estimate_costs(
        DatasetSize(examples=1000, billable_tokens=500_000, mean_prompt_tokens=300,
                    mean_completion_tokens=100),
        pricing=load_pricing(), openai_model="gpt-4.1-mini", monthly_requests=1000,
        current_model="claude-sonnet-4")
    current = [row for row in table.rows if row.kind == "current"]
    assert len(current) == 1
    assert current[0].monthly_inference is None
    assert "No price on file for claude-sonnet-4" in current[0].notes[0]
