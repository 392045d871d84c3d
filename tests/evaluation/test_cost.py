"""estimate_run_cost: exact prompt tokens, reference-length replies, pricing.yaml."""

from __future__ import annotations

import pytest

from bot.checklist.pricing import load_pricing
from bot.datasets.tokens import counter_for
from bot.evaluation.cost import estimate_run_cost
from bot.evaluation.examples import HeldOutExample, with_system_prompt

EXAMPLES = [
    HeldOutExample([{"role": "system", "content": "Label the ticket."},
                    {"role": "user", "content": f"My invoice #{i} is wrong, please help."}],
                   reference="billing" if i % 2 else "refund request")
    for i in range(10)
]


def test_base_model_cost_from_exact_tokens() -> None:
    estimate = estimate_run_cost(EXAMPLES, "gpt-4o-mini", load_pricing())
    counter = counter_for("gpt-4o-mini")
    prompt = sum(counter.count_example(e.prompt) for e in EXAMPLES)
    replies = sum(counter.count_text(e.reference) for e in EXAMPLES)
    assert (estimate.prompt_tokens, estimate.reply_tokens) == (prompt, replies)
    assert estimate.usd == pytest.approx((prompt * 0.15 + replies * 0.60) / 1e6)
    assert estimate.tokens_exact and "base prices" in estimate.note
    assert "gpt-4o-mini: 10 prompts" in estimate.render()


def test_fine_tuned_model_uses_fine_tuned_prices_and_the_team_prompt() -> None:
    model = "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    long_prompt = "You are a meticulous support triage assistant. " * 20
    estimate = estimate_run_cost(EXAMPLES, model, system_prompt=long_prompt)
    counter = counter_for(model)
    prompt = sum(counter.count_example(with_system_prompt(e.prompt, long_prompt))
                 for e in EXAMPLES)
    assert estimate.prompt_tokens == prompt
    assert estimate.usd == pytest.approx((prompt * 0.30 + estimate.reply_tokens * 1.20) / 1e6)
    assert "fine-tuned prices" in estimate.note


def test_unknown_model_cost_is_unknown_not_an_error() -> None:
    estimate = estimate_run_cost(EXAMPLES, "acme-local-llm-v9")
    assert estimate.usd is None and estimate.prompt_tokens > 0
    assert "no price" in estimate.note and "cost unknown" in estimate.render()
