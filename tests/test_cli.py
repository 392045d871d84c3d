"""The `ft-advisor` command as a user runs it: a real subprocess, real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.paths import bundled_dir
from tests.conftest import TODAY

VERDICTS = {"fine_tune", "rag", "prompt", "collect_data", "unclear"}


def run(args: list[str], data_dir: Path, stdin: bytes | None = None,
        extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"}}
    env |= {"FT_DATA_DIR": str(data_dir), "FT_TODAY": TODAY.isoformat(), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env,
                          capture_output=True, timeout=120, check=False)


def test_ask_json_contract(warm_data_dir: Path) -> None:
    q = "We need strict JSON; prompting still fails on 5% and we have 3,000 verified examples."
    result = run(["ask", "--json", q], warm_data_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"verdict", "answer", "sources", "follow_up_questions", "signals"} <= set(data)
    assert data["verdict"] == "fine_tune"
    assert data["signals"]["examples"] == 3000
    knowledge = bundled_dir("knowledge")
    for source in data["sources"]:
        assert set(source) == {"title", "path", "section", "snippet", "score"}
        text = (knowledge / source["path"].removeprefix("knowledge/")).read_text()
        assert f"## {source['section']}" in text and text.startswith(f"# {source['title']}")
        assert " ".join(source["snippet"].rstrip("…").split()) in " ".join(text.split())
    # Every statement carries a citation of a listed source.
    for paragraph in data["answer"].split("\n\n"):
        assert "[" in paragraph and "]" in paragraph
    assert "39 days from today" in data["answer"]


def test_first_ask_on_a_fresh_install_ingests_by_itself(tmp_path: Path) -> None:
    result = run(["ask", "Should", "we", "fine-tune", "on", "our", "wiki?"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"Verdict: " in result.stdout and b"Sources:" in result.stdout
    assert (tmp_path / "chroma").is_dir()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["ask", ""], None, b"The question is empty"),
        (["ask", "   \t "], None, b"The question is empty"),
        (["ask", "-"], b"x" * 102_400, b"the limit is 8,000"),
        (["ask", "-"], b"caf\xe9 question", b"not valid UTF-8"),
        (["ask", "--json", "-"], b"\n\n", b"The question is empty"),
        (["ingest", "/nonexistent/folder"], None, b"no such file or folder"),
        (["sources", ""], None, b"The question is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(warm_data_dir: Path, args: list[str],
                                          stdin: bytes | None, message: bytes) -> None:
    result = run(args, warm_data_dir, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert b"Traceback" not in result.stderr and result.stdout == b""


def test_non_utf8_argument(warm_data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", b"caf\xe9".decode("utf-8", "surrogateescape")],
        env={**os.environ, "FT_DATA_DIR": str(warm_data_dir)}, capture_output=True,
        timeout=60, check=False)
    assert result.returncode == 2 and b"not valid UTF-8" in result.stderr


def test_chat_remembers_the_conversation(warm_data_dir: Path) -> None:
    turns = (
        "We need every support reply in our brand tone and prompting has hit its limit.\n"
        "we have 2,000 reviewed replies\n"
        "exit\n"
    )
    result = run(["chat"], warm_data_dir, stdin=turns.encode())
    assert result.returncode == 0, result.stderr
    verdicts = [line.split()[1] for line in result.stdout.decode().splitlines()
                if line.startswith("Verdict:")]
    assert verdicts == ["unclear", "fine_tune"]


def test_sources_shows_scores(warm_data_dir: Path) -> None:
    result = run(["sources", "--json", "-k", "3", "LoRA on a cloud GPU"], warm_data_dir)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert any("LoRA" in h["section"] or "GPU" in h["section"] for h in hits)


def test_ingest_user_folder(tmp_path: Path) -> None:
    docs, data_dir = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    (docs / "policy.md").write_text("# Policy\n\n## Refunds\n\nRefunds within 30 days.\n")
    first = run(["ingest", "--json", str(docs)], data_dir)
    second = run(["ingest", "--json", str(docs)], data_dir)
    assert json.loads(first.stdout)["added"] == 1
    assert json.loads(second.stdout)["added"] == 0
    hits = json.loads(run(["sources", "--json", "refund window"], data_dir).stdout)
    assert hits[0]["section"] == "Refunds"
