"""Replies from a LoRA job's base model and from the base model with its adapter, for
the held-out comparison. Greedy decoding, so both models are judged the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from bot.errors import InputError
from bot.jobs.store import Job

MAX_NEW_TOKENS = 256


class LocalChatModel:
    """`predict(prompts) -> replies` for a causal LM, optionally with a LoRA adapter."""

    def __init__(self, base_model: str, adapter: Path | None = None,
                 max_new_tokens: int = MAX_NEW_TOKENS) -> None:
        self._tokenizer = AutoTokenizer.from_pretrained(base_model)
        model: Any = AutoModelForCausalLM.from_pretrained(base_model)
        if adapter is not None:
            model = PeftModel.from_pretrained(model, str(adapter))
        self._model = model.eval()
        self._max_new_tokens = max_new_tokens

    def predict(self, prompts: list[list[dict[str, Any]]]) -> list[str]:
        replies = []
        for messages in prompts:
            ids: Any = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                      return_tensors="pt", return_dict=True)
            with torch.no_grad():
                output = self._model.generate(**ids, max_new_tokens=self._max_new_tokens,
                                              do_sample=False,
                                              pad_token_id=self._tokenizer.pad_token_id
                                              or self._tokenizer.eos_token_id)
            new_tokens = output[0][ids["input_ids"].shape[1]:]
            reply = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
            replies.append(str(reply).strip())
        return replies


def lora_predictors(job: Job) -> tuple[LocalChatModel, LocalChatModel]:
    """(base model, base model + the job's adapter)."""
    adapter = Path(job.outcome.model) if job.outcome and job.outcome.model else None
    if adapter is None or not (adapter / "adapter_config.json").is_file():
        raise InputError(f"Job {job.id}'s adapter is not on this machine ({adapter}); copy "
                         "it here to evaluate it.")
    return LocalChatModel(job.spec.base_model), LocalChatModel(job.spec.base_model, adapter)
