"""Random-weight LLaMA-style models, byte-level BPE tokenizers and synthetic chat data:
smoke runs of the training pipeline and benchmarks with no hub and no network."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<pad>", "<s>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
_VOCABULARY = """the order refund shipping account invoice password delivery customer
support please thanks today tomorrow week number status update cancel change address email
phone payment card bank transfer return label box damaged missing item size colour price
discount code help question answer sorry happy glad sure"""


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts`, with the chat template above;
    `<|end|>` ends each turn and is the EOS token."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="<|end|>",
        pad_token="<pad>",
        chat_template=CHAT_TEMPLATE,
    )


def build_model(
    tokenizer: PreTrainedTokenizerFast,
    *,
    hidden: int = 48,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    vocab_size: int | None = None,
    max_positions: int = 2048,
    seed: int = 0,
) -> LlamaForCausalLM:
    """A randomly initialised LLaMA-style causal LM sized by the arguments."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=max(vocab_size or 0, len(tokenizer)),
        hidden_size=hidden,
        intermediate_size=intermediate or 4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config)


def chats(n: int, *, seed: int = 0, words: tuple[int, int] = (4, 24)) -> list[dict[str, Any]]:
    """`n` chat examples (system, user, assistant; every third one a second exchange),
    each text `words` words long, drawn from a small support-desk vocabulary."""
    rng = random.Random(seed)
    vocabulary = _VOCABULARY.split()

    def text() -> str:
        return " ".join(rng.choices(vocabulary, k=rng.randint(*words)))

    examples = []
    for i in range(n):
        messages = [
            {"role": "system", "content": "You answer customer questions briefly."},
            {"role": "user", "content": text()},
            {"role": "assistant", "content": text()},
        ]
        if i % 3 == 2:
            messages += [
                {"role": "user", "content": text()},
                {"role": "assistant", "content": text()},
            ]
        examples.append({"messages": messages})
    return examples


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> str:
    """Write `rows` as JSON lines; return the file's sha256."""
    data = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def corpus(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """Every message text of `rows`, to train a tokenizer on."""
    for row in rows:
        for message in row["messages"]:
            yield message["content"]
