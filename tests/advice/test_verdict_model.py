"""The learned verdict model: the NumPy forward pass with a LoRA adapter merged in
must equal PEFT's torch forward pass, training must produce a file the runtime
loads, and the shipped model must load and answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.advice import train_verdict_model as training
from bot.advice.framework import Verdict
from bot.advice.verdict_model import LABELS, VerdictModel, conversation_text
from bot.rag.embeddings import MiniLMEmbedder, default_model_dir

TEXTS = [
    "We'd like our ticket summaries in one fixed layout; the prompt has been polished "
    "for weeks and we have 1,800 approved examples.",
    "short one\nand a second turn with more detail about our contracts",
]


def _torch_reference(arrays: dict[str, np.ndarray], texts: list[str]) -> np.ndarray:
    """Softmax outputs of the exported adapter, recomputed with PEFT on torch."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    model_dir = default_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = get_peft_model(AutoModel.from_pretrained(model_dir), LoraConfig(
        r=training.RANK, lora_alpha=training.ALPHA, target_modules=training.TARGETS))
    state = model.state_dict()
    for key in state:
        name = training.adapter_array_name(key)
        if name is not None:
            state[key] = torch.from_numpy(arrays[name].astype(np.float32))
    model.load_state_dict(state)
    model.eval()
    out = []
    with torch.no_grad():
        for text in texts:
            tokens = tokenizer([text], return_tensors="pt", truncation=True, max_length=256)
            pooled = model(**tokens).last_hidden_state.mean(dim=1)[0].numpy()
            logits = arrays["head.weight"].astype(np.float32) @ pooled + arrays["head.bias"]
            exp = np.exp(logits - logits.max())
            out.append(exp / exp.sum())
    return np.array(out)


def _random_adapter(seed: int) -> dict[str, np.ndarray]:
    """An adapter with non-zero A and B on every targeted kernel (PEFT starts B at 0)."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {
        "lora_scale": np.array(training.ALPHA / training.RANK, dtype=np.float32),
        "head.weight": rng.normal(0, 0.5, (len(LABELS), 384)).astype(np.float16),
        "head.bias": rng.normal(0, 0.1, len(LABELS)).astype(np.float16),
    }
    kernels = {"attention.self.query": (384, 384), "attention.self.key": (384, 384),
               "attention.self.value": (384, 384), "attention.output.dense": (384, 384),
               "intermediate.dense": (384, 1536), "output.dense": (1536, 384)}
    for layer in range(6):
        for kernel, (fan_in, fan_out) in kernels.items():
            name = f"encoder.layer.{layer}.{kernel}.weight"
            arrays[name + ".lora_A"] = rng.normal(0, 0.05, (training.RANK, fan_in)).astype(
                np.float16)
            arrays[name + ".lora_B"] = rng.normal(0, 0.05, (fan_out, training.RANK)).astype(
                np.float16)
    return arrays


@pytest.mark.slow
def test_numpy_forward_with_adapter_matches_peft(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    arrays = _random_adapter(seed=7)
    training.save_model(arrays, tmp_path / "adapter.npz")
    model = VerdictModel(embedder, tmp_path / "adapter.npz")
    ours = np.array([[model.probabilities(text.split("\n"))[label] for label in LABELS]
                     for text in TEXTS])
    reference = _torch_reference(arrays, TEXTS)
    np.testing.assert_allclose(ours, reference, atol=2e-4)
    # The adapter really changes the encoder: without it the outputs differ.
    plain = {**arrays, **{k: np.zeros_like(v) for k, v in arrays.items() if ".lora_B" in k}}
    training.save_model(plain, tmp_path / "plain.npz")
    unadapted = VerdictModel(embedder, tmp_path / "plain.npz").probabilities([TEXTS[0]])
    assert abs(unadapted[LABELS[0]] - ours[0][0]) > 1e-3


@pytest.mark.slow
def test_training_writes_a_model_the_runtime_loads(
    embedder: MiniLMEmbedder, tmp_path: Path
) -> None:
    cases = [("our replies must match a strict JSON schema", "fine_tune"),
             ("it should answer from our HR handbook", "rag"),
             ("we never tried writing a better prompt", "prompt"),
             ("only 90 examples so far", "collect_data"),
             ("should we fine-tune?", "unclear")] * 2
    arrays = training.train(cases, epochs=1, seed=0)
    assert {k for k in arrays if k.endswith(".lora_A")} == {
        f"encoder.layer.{n}.{k}.weight.lora_A" for n in range(6)
        for k in ("attention.self.query", "attention.self.key", "attention.self.value",
                  "attention.output.dense", "intermediate.dense", "output.dense")}
    training.save_model(arrays, tmp_path / "trained.npz")
    probs = VerdictModel(embedder, tmp_path / "trained.npz").probabilities(["a question"])
    assert set(probs) == set(Verdict) and abs(sum(probs.values()) - 1) < 1e-5


def test_shipped_model_reads_unseen_questions(embedder: MiniLMEmbedder) -> None:
    model = VerdictModel(embedder)
    cases = {
        "Could training a model on the staff handbook let it answer benefits questions "
        "from it?": Verdict.RAG,
        "Is fine-tuning worth it for us?": Verdict.UNCLEAR,
        "We need every reply to carry our playful brand voice. A month of prompt work "
        "hasn't got there and our editors approved 3,200 sample replies.": Verdict.FINE_TUNE,
    }
    for question, want in cases.items():
        probs = model.probabilities([question])
        assert max(probs, key=probs.__getitem__) is want, (question, probs)


def test_a_long_thread_keeps_its_latest_turns_for_the_model() -> None:
    turns = ["background " * 100, "we have 3,000 reviewed examples", "sorry, 300 not 3,000"]
    assert conversation_text(turns[1:]) == "\n".join(turns[1:])
    assert conversation_text(turns).endswith("sorry, 300 not 3,000")
    assert "background" not in conversation_text(turns)
    assert conversation_text(["x" * 5000]) == "x" * 5000  # the last turn stays whole
