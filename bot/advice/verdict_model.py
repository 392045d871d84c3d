"""The learned half of the verdict engine: all-MiniLM-L6-v2 with a LoRA adapter and a
linear head, fine-tuned on labelled questions to give a probability for each verdict.

The adapter and head ship next to this file (`verdict_model.npz`, float16, ~1 MB) and
are produced by `python -m bot.advice.train_verdict_model`. They are merged into the
NumPy encoder's weights on first use, so no torch is needed to run the model.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.advice.framework import Verdict
from bot.rag.embeddings import MiniLMEmbedder

MODEL_FILE = Path(__file__).with_name("verdict_model.npz")
LABELS: tuple[Verdict, ...] = (
    Verdict.FINE_TUNE, Verdict.RAG, Verdict.PROMPT, Verdict.COLLECT_DATA, Verdict.UNCLEAR)
LORA_A, LORA_B = ".lora_A", ".lora_B"  # suffixes of the adapter arrays in the file


WINDOW_CHARS = 1000  # about the encoder's 256-token window in English


def conversation_text(turns: Sequence[str]) -> str:
    """What the model reads: the user's turns so far, one per line (as in training).
    A thread too long for the encoder's window keeps its latest turns, which hold the
    corrections and answers to follow-ups; the last turn is always kept whole."""
    kept = [turns[-1]]
    for turn in reversed(turns[:-1]):
        if sum(len(t) + 1 for t in kept) + len(turn) > WINDOW_CHARS:
            break
        kept.insert(0, turn)
    return "\n".join(kept)


def lora_deltas(arrays: dict[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    """Weight name -> (in, out) kernel increment, `scale * (B @ A).T`, for every
    adapted kernel in `arrays` (name + ".lora_A": (r, in), name + ".lora_B": (out, r))."""
    deltas = {}
    for key, a in arrays.items():
        if key.endswith(LORA_A):
            name = key[: -len(LORA_A)]
            b = arrays[name + LORA_B]
            deltas[name] = scale * (a.astype(np.float32).T @ b.astype(np.float32).T)
    return deltas


class VerdictModel:
    """Probability of each verdict for a conversation; loads lazily, thread-safely."""

    def __init__(self, embedder: MiniLMEmbedder, path: Path = MODEL_FILE) -> None:
        self._embedder = embedder
        self._path = path
        self._lock = threading.Lock()
        self._loaded: tuple[MiniLMEmbedder, np.ndarray, np.ndarray] | None = None

    def _load(self) -> tuple[MiniLMEmbedder, np.ndarray, np.ndarray]:
        with self._lock:
            if self._loaded is None:
                with np.load(self._path) as data:
                    arrays = {key: data[key] for key in data.files}
                scale = float(arrays.pop("lora_scale"))
                head_w = arrays.pop("head.weight").astype(np.float32)
                head_b = arrays.pop("head.bias").astype(np.float32)
                if head_w.shape[0] != len(LABELS):
                    raise ValueError(f"{self._path}: head has {head_w.shape[0]} outputs, "
                                     f"expected {len(LABELS)}")
                encoder = self._embedder.adapted(lora_deltas(arrays, scale))
                self._loaded = (encoder, head_w, head_b)
            return self._loaded

    def probabilities(self, turns: Sequence[str]) -> dict[Verdict, float]:
        encoder, head_w, head_b = self._load()
        logits = head_w @ encoder.mean_state(conversation_text(turns)) + head_b
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        return {label: float(p) for label, p in zip(LABELS, probs, strict=True)}
