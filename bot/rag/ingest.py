"""Upserts documents into the vector store with content-derived ids: unchanged
chunks are not embedded again, and chunks whose text or file is gone are deleted."""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.errors import FtAdvisorError, InputError
from bot.paths import bundled_dir
from bot.rag.documents import SUFFIXES, Chunk, find_files, read_text, split_document

BATCH = 64
FINGERPRINT_KEY = "knowledge_fingerprint"


@dataclass
class IngestReport:
    files: int = 0
    chunks: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: why"
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_text(self) -> str:
        lines = [
            f"Ingested {self.files} file(s), {self.chunks} chunk(s): {self.added} added, "
            f"{self.unchanged} unchanged, {self.removed} removed ({self.seconds:.2f} s)."
        ]
        lines += [f"Skipped {item}" for item in self.skipped]
        return "\n".join(lines)


def _check_root(root: Path) -> Path:
    if not root.exists():
        raise InputError(f"Cannot ingest {root}: no such file or folder")
    if root.is_file() and root.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"Cannot ingest {root}: unsupported file type (use {', '.join(sorted(SUFFIXES))})"
        )
    try:
        if root.is_dir():
            next(root.iterdir(), None)
        else:
            root.open("rb").close()
    except OSError as exc:
        raise InputError(f"Cannot read {root}: {exc.strerror or exc}") from exc
    return root.resolve()


@lru_cache(maxsize=1)
def _bundled_knowledge() -> Path | None:
    try:
        return bundled_dir("knowledge").resolve()
    except FileNotFoundError:  # pragma: no cover - broken install
        return None


def _display_path(file: Path) -> str:
    """`knowledge/NAME.md` for bundled files (stable across installs), else the path."""
    knowledge = _bundled_knowledge()
    if knowledge is not None and file.is_relative_to(knowledge):
        return f"knowledge/{file.relative_to(knowledge).as_posix()}"
    return str(file)


def root_key(root: Path) -> str:
    """What a chunk records as the ingested path it came from. The bundled folder
    gets a fixed key, so reinstalling to another location replaces its chunks
    instead of duplicating them."""
    return "bundled:knowledge" if root == _bundled_knowledge() else str(root)


def collect_chunks(root: Path, report: IngestReport) -> list[Chunk]:
    """Chunks of every readable supported file under `root`; bad files are skipped
    and listed in the report, never silently."""
    chunks: list[Chunk] = []
    for file in find_files(root):
        try:
            text = read_text(file)
        except FtAdvisorError as exc:
            report.skipped.append(str(exc))
            continue
        report.files += 1
        title = file.stem.replace("-", " ").replace("_", " ").strip() or file.name
        chunks += split_document(text, _display_path(file), root_key(root), title)
    return chunks


def _progress(total: int, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="chunk", desc="Embedding", disable=not show,
                file=sys.stderr, leave=False)


def ingest(vectorstore: Any, roots: list[Path], progress: bool | None = None) -> IngestReport:
    """Bring the store in line with `roots` (files or folders)."""
    started = time.perf_counter()
    report = IngestReport()
    resolved = [_check_root(Path(r)) for r in roots]
    show = sys.stderr.isatty() if progress is None else progress
    for root in resolved:
        chunks = collect_chunks(root, report)
        report.chunks += len(chunks)
        existing = set(vectorstore.get(where={"root": root_key(root)}, include=[])["ids"])
        new = [c for c in chunks if c.id not in existing]
        report.unchanged += len(chunks) - len(new)
        stale = existing - {c.id for c in chunks}
        if stale:
            vectorstore.delete(ids=sorted(stale))
            report.removed += len(stale)
        with _progress(len(new), show and len(new) > BATCH) as bar:
            for start in range(0, len(new), BATCH):
                batch = new[start : start + BATCH]
                vectorstore.add_texts(
                    [c.text for c in batch],
                    metadatas=[c.metadata for c in batch],
                    ids=[c.id for c in batch],
                )
                bar.update(len(batch))
        report.added += len(new)
    report.seconds = time.perf_counter() - started
    return report


def knowledge_fingerprint(folder: Path) -> str:
    """Hash of the bundled knowledge files' names and bytes."""
    digest = hashlib.sha256()
    for file in find_files(folder):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def ensure_bundled_knowledge(vectorstore: Any, collection: Any) -> IngestReport | None:
    """Ingest the bundled knowledge when the store has not seen this version of it
    (a fresh install, or an upgrade that changed it). Returns None when up to date."""
    folder = bundled_dir("knowledge")
    fingerprint = knowledge_fingerprint(folder)
    metadata = dict(collection.metadata or {})
    if metadata.get(FINGERPRINT_KEY) == fingerprint:
        return None
    report = ingest(vectorstore, [folder])
    metadata[FINGERPRINT_KEY] = fingerprint
    metadata.pop("hnsw:space", None)
    collection.modify(metadata=metadata)
    return report
