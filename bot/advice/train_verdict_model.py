"""Trains the verdict model (`verdict_model.py`): a LoRA adapter on all-MiniLM-L6-v2
plus a linear head, on the labelled question and thread sets, with PEFT.

    python -m bot.advice.train_verdict_model [--data tests/advice/data] [--epochs 3]

Sets named in `TEST_SETS` are never trained on: they measure the model on phrasings
it has not seen (`tests/advice/eval_verdicts.py`). Needs the `train` extra (torch,
transformers, peft); about 20 minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from bot.advice.verdict_model import LABELS, LORA_A, LORA_B, MODEL_FILE, conversation_text
from bot.rag.embeddings import MAX_TOKENS, default_model_dir

# Sets written by people who never saw the engine and kept out of training.
TEST_SETS = frozenset({
    "heldout_questions_i", "heldout_questions_k", "heldout_questions_zc",
    "heldout_questions_zd", "heldout_questions_ze", "heldout_questions_zf",
    "heldout_questions_zg", "heldout_questions_zh", "heldout_questions_zi",
    "heldout_questions_zj", "heldout_conversations_zr", "heldout_questions_zs",
    "heldout_questions_zt", "heldout_questions_zu", "heldout_questions_zv",
    "heldout_conversations_zw",
})
RANK, ALPHA, DROPOUT = 16, 32, 0.1
TARGETS = r".*encoder\.layer\.\d+\..*(query|key|value|dense)"  # its linear layers
BATCH, LEARNING_RATE, WARMUP_STEPS, LABEL_SMOOTHING = 16, 5e-4, 50, 0.05


def labelled_cases(path: Path) -> list[tuple[str, list[str], str]]:
    """(id, the user's turns so far, verdict): one per question, or one per turn of a
    thread (id "u07.2" for its second turn)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "turns" in row:
            cases += [(f"{row['id']}.{n}", row["turns"][:n], verdict)
                      for n, verdict in enumerate(row["verdicts"], 1)]
        else:
            cases.append((row["id"], [row["q"]], row["verdict"]))
    return cases


def training_cases(data: Path) -> list[tuple[str, str]]:
    """(model input, verdict) for every case outside `TEST_SETS`."""
    return [(conversation_text(turns), verdict)
            for path in sorted(data.glob("*.jsonl")) if path.stem not in TEST_SETS
            for _, turns, verdict in labelled_cases(path)]


def train(cases: list[tuple[str, str]], epochs: int, seed: int) -> dict[str, np.ndarray]:
    """The adapter and head as float16 arrays, named as `verdict_model` reads them."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model_dir = default_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = get_peft_model(AutoModel.from_pretrained(model_dir), LoraConfig(
        r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, target_modules=TARGETS))
    head = torch.nn.Linear(model.config.hidden_size, len(LABELS))
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    total = epochs * -(-len(cases) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / WARMUP_STEPS) * max(0.0, 1 - s / total))
    index = {label.value: i for i, label in enumerate(LABELS)}
    model.train()
    for epoch in range(epochs):
        rng.shuffle(cases)
        for start in range(0, len(cases), BATCH):
            batch = cases[start:start + BATCH]
            tokens = tokenizer([text for text, _ in batch], padding=True, truncation=True,
                               max_length=MAX_TOKENS, return_tensors="pt")
            states = model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).float()
            logits = head((states * mask).sum(1) / mask.sum(1))
            target = torch.tensor([index[verdict] for _, verdict in batch])
            loss = torch.nn.functional.cross_entropy(
                logits, target, label_smoothing=LABEL_SMOOTHING)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{epochs} done, last loss {loss.item():.3f}", flush=True)
    return _export(model, head)


def _export(model: Any, head: Any) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "lora_scale": np.array(ALPHA / RANK, dtype=np.float32),
        "head.weight": head.weight.detach().numpy().astype(np.float16),
        "head.bias": head.bias.detach().numpy().astype(np.float16),
    }
    for key, value in model.state_dict().items():
        name = adapter_array_name(key)
        if name is not None:
            arrays[name] = value.detach().numpy().astype(np.float16)
    return arrays


def adapter_array_name(peft_key: str) -> str | None:
    """The file's name for a PEFT state-dict entry, None for a non-adapter entry:
    base_model.model.encoder.layer.0.attention.self.query.lora_A.default.weight
    -> encoder.layer.0.attention.self.query.weight.lora_A"""
    for part, suffix in ((".lora_A.", LORA_A), (".lora_B.", LORA_B)):
        if part in peft_key:
            return peft_key.split("base_model.model.", 1)[1].split(part)[0] + ".weight" + suffix
    return None


def save_model(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Write arrays in the `.npz` layout `VerdictModel` reads."""
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub mistypes **kwds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("tests/advice/data"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    cases = training_cases(args.data)
    print(f"training on {len(cases)} cases from {args.data}", flush=True)
    save_model(train(cases, args.epochs, args.seed), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
