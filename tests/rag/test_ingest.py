"""Ingestion into real embedded Chroma with the real model: idempotent, content ids,
removals, user files in several formats, and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import InputError
from bot.paths import bundled_dir
from bot.rag.embeddings import MiniLMEmbedder
from bot.rag.ingest import ensure_bundled_knowledge, ingest
from bot.rag.retrieve import Retriever
from bot.rag.store import open_client, open_vectorstore

Store = tuple[Any, "CountingEmbedder", Any]


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture
def store(tmp_path: Path, embedder: MiniLMEmbedder) -> tuple[Any, CountingEmbedder, Any]:
    settings = Settings(FT_DATA_DIR=tmp_path / "data", FT_COLLECTION="test_docs")
    counting = CountingEmbedder(embedder)
    client = open_client(settings)
    return open_vectorstore(settings, counting, client), counting, client


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


DOC = (
    "# Handbook\n\n## Holidays\n\nStaff get 30 days of leave.\n\n"
    "## Expenses\n\nKeep receipts for 6 years.\n"
)


def test_reingest_embeds_nothing(store: Store) -> None:
    vectorstore, counting, _ = store
    first = ingest(vectorstore, [bundled_dir("knowledge")], progress=False)
    assert first.files == 7 and first.added == first.chunks > 20
    metadatas = vectorstore.get(include=["metadatas"])["metadatas"]
    # Location-independent keys: a reinstall elsewhere replaces, never duplicates.
    assert {m["root"] for m in metadatas} == {"bundled:knowledge"}
    assert all(m["path"].startswith("knowledge/0") for m in metadatas)
    embedded = counting.embedded
    second = ingest(vectorstore, [bundled_dir("knowledge")], progress=False)
    assert (second.added, second.removed, second.unchanged) == (0, 0, first.chunks)
    assert counting.embedded == embedded


def test_changed_and_removed_files(tmp_path: Path, store: Store) -> None:
    vectorstore, counting, _ = store
    docs = tmp_path / "docs"
    _write(docs, "handbook.md", DOC)
    _write(docs, "faq.txt", "Where is the office? On the third floor.")
    _write(docs, "page.html", "<html><body><h1>Travel</h1><h2>Trains</h2><p>Book second class.</p>"
           "<script>alert(1)</script></body></html>")
    report = ingest(vectorstore, [docs], progress=False)
    assert report.files == 3 and report.added == 4
    sections = {m["section"] for m in vectorstore.get(include=["metadatas"])["metadatas"]}
    assert sections == {"Holidays", "Expenses", "faq", "Trains"}
    assert "alert" not in " ".join(vectorstore.get()["documents"])

    _write(docs, "handbook.md", DOC.replace("30 days", "32 days"))
    (docs / "faq.txt").unlink()
    before = counting.embedded
    report = ingest(vectorstore, [docs], progress=False)
    assert (report.added, report.removed, report.unchanged) == (1, 2, 2)
    assert counting.embedded - before == 1
    texts = " ".join(vectorstore.get()["documents"])
    assert "32 days" in texts and "30 days" not in texts and "third floor" not in texts


def test_bad_files_are_reported_not_fatal(tmp_path: Path, store: Store) -> None:
    vectorstore, _, _ = store
    docs = tmp_path / "docs"
    _write(docs, "good.md", DOC)
    (docs / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    report = ingest(vectorstore, [docs], progress=False)
    assert report.files == 1
    assert len(report.skipped) == 1 and "not UTF-8" in report.skipped[0]


@pytest.mark.parametrize("name", ["missing-folder", "notes.pdf"])
def test_unusable_paths_raise_input_error(tmp_path: Path, name: str,
                                          store: Store) -> None:
    path = tmp_path / name
    if name.endswith(".pdf"):
        path.write_bytes(b"%PDF")
    with pytest.raises(InputError):
        ingest(store[0], [path], progress=False)


def test_bundled_knowledge_is_ingested_once(store: Store) -> None:
    vectorstore, counting, client = store
    collection = client.get_collection("test_docs")
    assert ensure_bundled_knowledge(vectorstore, collection) is not None
    embedded = counting.embedded
    assert ensure_bundled_knowledge(vectorstore, client.get_collection("test_docs")) is None
    assert counting.embedded == embedded


def test_retrieval_finds_the_right_section(store: Store,
                                           embedder: MiniLMEmbedder) -> None:
    vectorstore, _, client = store
    ensure_bundled_knowledge(vectorstore, client.get_collection("test_docs"))
    retriever = Retriever(vectorstore)
    query = embedder.encode(["the model should answer from our internal documentation"])[0]
    hits = retriever.search(query, k=3)
    assert hits[0].score >= hits[-1].score
    assert any(h.section == "Knowing your documents" for h in hits)
    knowledge = bundled_dir("knowledge")
    for hit in hits:
        text = (knowledge / hit.path.removeprefix("knowledge/")).read_text(encoding="utf-8")
        assert f"## {hit.section}" in text
        assert " ".join(hit.text.split()) in " ".join(text.split())
