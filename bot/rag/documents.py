"""Reads .md/.txt/.html files and splits them into cited chunks: first by headings
(title = `#`, section = `##`), then by size."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InputError

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm"}
CHUNK_CHARS = 900  # ~200 tokens: inside the embedding model's 256-token window
CHUNK_OVERLAP = 120


@dataclass(frozen=True)
class Chunk:
    id: str  # derived from content, so unchanged text keeps its id
    text: str
    title: str
    section: str
    path: str  # shown in citations
    root: str  # the ingested path this chunk came from

    @property
    def metadata(self) -> dict[str, str]:
        return {"title": self.title, "section": self.section, "path": self.path,
                "root": self.root}


def find_files(root: Path) -> Iterator[Path]:
    """Supported files under `root` (or `root` itself), in a stable order."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            yield path


def read_text(path: Path) -> str:
    """File contents as text; a clear error for undecodable or unreadable files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}); convert it "
            "with e.g. `iconv -f latin1 -t utf-8`"
        ) from exc
    if path.suffix.lower() in {".html", ".htm"}:
        return html_to_markdown(text)
    return text


def html_to_markdown(html: str) -> str:
    """Headings become `#` lines, everything else plain paragraphs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript"]):
        tag.decompose()
    lines: list[str] = []
    body = soup.body or soup
    for element in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "pre", "td"]):
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name in {"h1", "h2", "h3", "h4"}:
            lines.append("#" * int(element.name[1]) + " " + text)
        elif element.name == "li":
            lines.append("- " + text)
        else:
            lines.append(text)
    if not lines:
        return " ".join(soup.get_text(" ", strip=True).split())
    return "\n\n".join(lines)


def chunk_id(path: str, section: str, text: str) -> str:
    return hashlib.sha256(f"{path}\0{section}\0{text}".encode()).hexdigest()[:32]


def split_document(text: str, path: str, root: str, default_title: str) -> list[Chunk]:
    """Heading-aware chunks of one document."""
    from langchain_text_splitters import (
        MarkdownHeaderTextSplitter,
        RecursiveCharacterTextSplitter,
    )

    by_heading = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "title"), ("##", "section"), ("###", "subsection")],
        strip_headers=True,
    ).split_text(text)
    by_size = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP
    )
    chunks: dict[str, Chunk] = {}
    for part in by_heading:
        title = part.metadata.get("title") or default_title
        section = part.metadata.get("section") or title
        if part.metadata.get("subsection"):
            section = f"{section} › {part.metadata['subsection']}"
        for piece in by_size.split_text(part.page_content):
            piece = piece.strip()
            if piece:
                cid = chunk_id(path, section, piece)
                chunks[cid] = Chunk(cid, piece, title, section, path, root)
    return list(chunks.values())
