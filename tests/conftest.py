"""Shared fixtures: the real embedding model, real embedded Chroma, a warm data dir."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.advice.exemplars import build_index
from bot.advice.signals import ExemplarIndex
from bot.advice.verdict_model import VerdictModel
from bot.config import Settings, get_settings
from bot.rag.embeddings import MiniLMEmbedder
from bot.wiring import Services, build_services

TODAY = dt.date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def verdict_model(embedder: MiniLMEmbedder) -> VerdictModel:
    return VerdictModel(embedder)


@pytest.fixture(scope="session")
def exemplar_index(
    embedder: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> ExemplarIndex:
    return build_index(embedder.encode, embedder.model_name, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def warm_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose embedded store already holds the bundled knowledge."""
    data_dir = tmp_path_factory.mktemp("warm-data")
    services = build_services(Settings(FT_DATA_DIR=data_dir, FT_TODAY=TODAY))
    services.advisor.answer(["warm-up question about fine-tuning"])
    return data_dir


@pytest.fixture(scope="session")
def services(warm_data_dir: Path) -> Services:
    """Offline services over the warm store (no OpenAI, no network)."""
    return build_services(Settings(FT_DATA_DIR=warm_data_dir, FT_TODAY=TODAY))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An environment with no OpenAI/Chroma settings and a fresh data dir."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "CHROMA_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FT_TODAY", TODAY.isoformat())
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Poll `url` until it answers; fail with the process's stderr if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                detail = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"{url} never answered. {detail}") from None
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

QUEUES = ["billing", "refunds", "shipping", "login", "bug", "feature", "cancel", "other"]


def ticket(i: int) -> dict[str, object]:
    queue = QUEUES[i % len(QUEUES)]
    return {"messages": [
        {"role": "system", "content": "Route the ticket to one queue. Reply with the label."},
        {"role": "user", "content": f"Ticket #{i}: customer {i * 7 % 1000} writes about "
                                    f"{queue} issue number {i} in order {i * 13}."},
        {"role": "assistant", "content": queue},
    ]}


@pytest.fixture
def write_dataset(tmp_path: Path) -> Callable[..., Path]:
    def write(n: int, name: str = "train.jsonl", start: int = 0,
              extra_lines: tuple[str, ...] = ()) -> Path:
        path = tmp_path / name
        lines = [json.dumps(ticket(i)) for i in range(start, start + n)]
        path.write_text("\n".join([*lines, *extra_lines]) + "\n", encoding="utf-8")
        return path

    return write
