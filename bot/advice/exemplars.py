"""Loads the labelled exemplar clauses and builds the `ExemplarIndex`, caching
the embedded vectors on disk keyed by the file's content and the model name."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bot.advice.signals import CLASSES, ExemplarIndex

EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")


def load_exemplars(path: Path = EXEMPLARS_FILE) -> list[tuple[str, str]]:
    """(class, clause) pairs; unknown class names are an error, not a silent skip."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data) - set(CLASSES)
    if unknown:
        raise ValueError(f"{path}: unknown classes {sorted(unknown)}")
    return [(label, text) for label, texts in data.items() for text in texts]


def build_index(
    encode: Callable[[list[str]], np.ndarray],
    model_name: str,
    cache_dir: Path | None,
    path: Path = EXEMPLARS_FILE,
) -> ExemplarIndex:
    """Embed the exemplars (or load the cached vectors) into an index."""
    pairs = load_exemplars(path)
    labels = tuple(label for label, _ in pairs)
    key = hashlib.sha256(path.read_bytes() + model_name.encode()).hexdigest()[:16]
    cache = cache_dir / f"exemplars-{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        vectors = np.load(cache)
        if vectors.shape[0] == len(labels):
            return ExemplarIndex(labels, vectors)
    vectors = encode([text for _, text in pairs])
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(cache)
    return ExemplarIndex(labels, vectors)
