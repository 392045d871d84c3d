"""Retrieval through LangChain's Chroma vector store: top-k passages for a query,
and the best passage inside each knowledge section a verdict cites."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.advice.framework import Citation

SNIPPET_CHARS = 280


@dataclass(frozen=True)
class Passage:
    text: str
    title: str
    section: str
    path: str
    score: float  # cosine similarity to the query, -1..1

    @property
    def snippet(self) -> str:
        text = " ".join(self.text.split())
        if len(text) <= SNIPPET_CHARS:
            return text
        return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"


def knowledge_path(citation: Citation) -> str:
    """The stored path of a bundled knowledge file."""
    return f"knowledge/{citation.path}"


class Retriever:
    def __init__(self, vectorstore: Any) -> None:
        self._store = vectorstore

    def search(self, query_vector: Sequence[float], k: int) -> list[Passage]:
        """The k passages closest to the query, best first."""
        hits = self._store.similarity_search_by_vector_with_relevance_scores(
            list(map(float, query_vector)), k=k
        )
        # langchain-chroma returns the cosine *distance* here despite the name.
        return [_passage(doc.page_content, doc.metadata, 1.0 - float(distance))
                for doc, distance in hits]

    def sections(
        self, citations: Iterable[Citation], query_vector: Sequence[float]
    ) -> dict[Citation, Passage]:
        """For each cited section, its chunk most similar to the query."""
        wanted = list(dict.fromkeys(citations))
        if not wanted:
            return {}
        clauses = [{"$and": [{"path": knowledge_path(c)}, {"section": c.section}]}
                   for c in wanted]
        where = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        got = self._store.get(where=where, include=["documents", "metadatas", "embeddings"])
        query = np.asarray(query_vector, dtype=np.float32)
        best: dict[Citation, Passage] = {}
        for text, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"],
                                      strict=True):
            citation = Citation(meta["path"].removeprefix("knowledge/"), meta["section"])
            score = float(np.dot(np.asarray(vector, dtype=np.float32), query))
            if citation not in best or score > best[citation].score:
                best[citation] = _passage(text, meta, score)
        return best


def _passage(text: str, meta: dict[str, Any], score: float) -> Passage:
    return Passage(text, str(meta.get("title", "")), str(meta.get("section", "")),
                   str(meta.get("path", "")), round(score, 4))
