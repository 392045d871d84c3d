"""Server mode against a real `chroma run` on 127.0.0.1, started and stopped here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import StoreError
from bot.wiring import build_services
from tests.conftest import TODAY, free_port, wait_until_serving


def _chroma_cli() -> str:
    found = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not found:
        pytest.skip("the chroma CLI is not installed")
    return found


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [_chroma_cli(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=30)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ask_through_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = Settings(CHROMA_HOST="127.0.0.1", CHROMA_PORT=chroma_server,
                        FT_DATA_DIR=tmp_path, FT_TODAY=TODAY)
    answer = build_services(settings).advisor.answer(
        ["We want the assistant to answer from our internal wiki. Fine-tune?"]
    )
    assert answer.verdict == "rag"
    assert any(s.section == "Knowing your documents" for s in answer.sources)
    # Nothing was written to the embedded store: the server holds the data.
    assert not (tmp_path / "chroma").exists()
    # A second process-like client sees the same, already ingested collection.
    again = build_services(settings)
    assert again.advisor.answer(["Should we fine-tune?"]).sources
    assert again.bundled_report is None


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(CHROMA_HOST="127.0.0.1", CHROMA_PORT=free_port(), FT_DATA_DIR=tmp_path)
    with pytest.raises(StoreError, match="Cannot reach the Chroma server"):
        build_services(settings).advisor.answer(["Should we fine-tune?"])
