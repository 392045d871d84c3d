"""The exemplar vectors shipped with the package are current and real."""

import numpy as np

from bot.advice.exemplars import EXEMPLARS_FILE, cache_name, load_exemplars
from bot.advice.signals import CLASSES
from bot.rag.embeddings import MiniLMEmbedder


def test_shipped_vectors_match_the_exemplars(embedder: MiniLMEmbedder) -> None:
    shipped = EXEMPLARS_FILE.parent / cache_name(EXEMPLARS_FILE, embedder.model_name)
    assert shipped.is_file(), "run: python -m bot.advice.exemplars"
    assert len(list(EXEMPLARS_FILE.parent.glob("exemplars-*.npy"))) == 1
    pairs = load_exemplars()
    vectors = np.load(shipped).astype(np.float32)
    assert vectors.shape == (len(pairs), 384)
    sample = list(range(0, len(pairs), 97))
    fresh = embedder.encode([pairs[i][1] for i in sample])
    assert np.abs(fresh - vectors[sample]).max() < 2e-3


def test_every_class_has_exemplars() -> None:
    labels = [label for label, _ in load_exemplars()]
    assert set(labels) == set(CLASSES)
    assert min(labels.count(c) for c in CLASSES) >= 50
    texts = [text.lower() for _, text in load_exemplars()]
    assert len(texts) == len(set(texts))
