"""The NumPy encoder is the real all-MiniLM-L6-v2: same vectors as sentence-transformers
loading the same weights."""

import numpy as np
import pytest

from bot.rag.embeddings import MiniLMEmbedder, default_model_dir

TEXTS = [
    "We need strict JSON for our order-parsing service.",
    "hi",
    "Fine-tuning changes the model's weights; RAG changes what it sees at query time. " * 12,
    "ünïcödé text, emoji 🚀 and <html> & symbols",
]


def test_matches_sentence_transformers(embedder: MiniLMEmbedder) -> None:
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(default_model_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True
    )
    ours = embedder.encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() > 0.9999


def test_unit_vectors_in_input_order(embedder: MiniLMEmbedder) -> None:
    batch = embedder.encode(TEXTS, batch_size=2)
    one_by_one = np.stack([embedder.encode([t])[0] for t in TEXTS])
    assert np.allclose(batch, one_by_one, atol=1e-5)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_langchain_embeddings_interface(embedder: MiniLMEmbedder) -> None:
    docs = embedder.embed_documents(["a", "b"])
    query = embedder.embed_query("a")
    assert len(docs) == 2 and len(query) == 384
    assert np.allclose(docs[0], query, atol=1e-5)
