"""What running a model over the held-out set will cost, before it runs: prompt tokens
counted exactly (bot.datasets.tokens), replies assumed as long as the references on
average, priced from bot/checklist/pricing.yaml."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from bot.checklist.pricing import Pricing, load_pricing
from bot.datasets.tokens import counter_for
from bot.errors import ConfigError
from bot.evaluation.examples import HeldOutExample, with_system_prompt


class CostEstimate(BaseModel):
    model: str
    examples: int
    prompt_tokens: int
    reply_tokens: int  # assumed: examples × the references' mean length
    tokens_exact: bool  # False: the model's tokenizer was not available, o200k_base was used
    usd: float | None  # None: the model's price is unknown
    note: str

    def render(self) -> str:
        tokens = (f"{self.examples:,} prompts, {self.prompt_tokens:,} input + "
                  f"~{self.reply_tokens:,} output tokens")
        cost = f"~${self.usd:,.2f}" if self.usd is not None else "cost unknown"
        return f"{self.model}: {tokens} → {cost} ({self.note})"


def estimate_run_cost(
    examples: Sequence[HeldOutExample],
    model: str,
    pricing: Pricing | None = None,
    *,
    system_prompt: str | None = None,
) -> CostEstimate:
    """The cost of one pass of `model` over `examples` (fine-tuned `ft:` models at
    fine-tuned prices). An unknown model gets `usd=None` and a note saying so."""
    counter = counter_for(model)
    prompt_tokens = sum(
        counter.count_example(with_system_prompt(e.prompt, system_prompt)) for e in examples
    )
    mean_reply = (sum(counter.count_text(e.reference) for e in examples) / len(examples)
                  if examples else 0.0)
    reply_tokens = round(mean_reply * len(examples))
    prices = pricing or load_pricing()
    try:
        known = prices.openai_model(model)
    except ConfigError:
        return CostEstimate(model=model, examples=len(examples), prompt_tokens=prompt_tokens,
                            reply_tokens=reply_tokens, tokens_exact=counter.exact, usd=None,
                            note=f"'{model}' has no price in the pricing file "
                                 f"(as of {prices.as_of})")
    fine_tuned = model.strip().lower().startswith("ft:")
    rate = known.fine_tuned_usd_per_1m if fine_tuned else known.base_usd_per_1m
    usd = (prompt_tokens * rate.input + reply_tokens * rate.output) / 1_000_000
    kind = "fine-tuned" if fine_tuned else "base"
    return CostEstimate(
        model=model, examples=len(examples), prompt_tokens=prompt_tokens,
        reply_tokens=reply_tokens, tokens_exact=counter.exact, usd=usd,
        note=f"{known.name} {kind} prices as of {prices.as_of}: ${rate.input:g} in / "
             f"${rate.output:g} out per 1M tokens; replies assumed {mean_reply:.0f} tokens",
    )
