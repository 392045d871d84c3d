"""`ft-advisor check / validate / estimate` as a user runs them: real subprocesses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.checklist.test_run import PASSING
from tests.test_cli import run

LORA_READY = {"FT_BUDGET": "50", "FT_LORA_RUNNER": "ray", "RAY_ADDRESS": "ray://127.0.0.1:1"}


def answers_file(tmp_path: Path, **changes: object) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({**PASSING, **changes}), encoding="utf-8")
    return path


def test_check_with_answers_passes_and_prints_json(
        tmp_path: Path, write_dataset: Callable[..., Path]) -> None:
    result = run(["check", "--answers", str(answers_file(tmp_path)), "--dataset",
                  str(write_dataset(700)), "--json"], tmp_path / "data", extra_env=LORA_READY)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["passed"] is True and len(data["items"]) == 8
    assert {item["status"] for item in data["items"]} == {"pass"}
    assert data["dataset"]["sha256"] and data["validation"]["examples"] == 700


def test_check_exits_1_when_an_item_fails_and_shows_every_item(
        tmp_path: Path, write_dataset: Callable[..., Path]) -> None:
    result = run(["check", "--answers", str(answers_file(tmp_path, reviewed_by=None)),
                  "--dataset", str(write_dataset(200))], tmp_path / "data",
                 extra_env=LORA_READY)
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode()
    assert "not ready to launch" in out and out.count("❌") >= 1 and out.count("✅") >= 5
    assert "collect more" in out and "03-training-data.md › Sufficient" in out


def test_check_rejects_bad_answers_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: tpu\nexamples: many\n", encoding="utf-8")
    result = run(["check", "--answers", str(bad)], tmp_path / "data")
    assert result.returncode == 2
    message = result.stderr.decode()
    assert message.startswith(f"error: {bad}: ") and message.count("\n") == 1
    assert "backend: Input should be" in message and "examples: Input should be" in message
    assert b"Traceback" not in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("use_case: [unclosed\n", encoding="utf-8")
    result = run(["check", "--answers", str(broken)], tmp_path / "data")
    assert result.returncode == 2 and b"not valid YAML (line" in result.stderr


def test_interactive_check_asks_then_summarises(
        tmp_path: Path, write_dataset: Callable[..., Path]) -> None:
    dataset = write_dataset(700)
    typed = "\n".join([
        "Sort each support ticket into one of eight queues; the reply is a single label.",
        "y",  # the goal read from the use case is right
        "queue definitions; 20 few-shot examples",
        "81% exact match on 300 tickets",
        "no",  # knowledge is not part of the problem
        str(dataset),
        "two support leads",
        "",  # no validation file: split
        "lora",
        "Qwen/Qwen2.5-0.5B-Instruct",
        "",  # no monthly volume
    ]) + "\n"
    result = run(["check", "--json"], tmp_path / "data", stdin=typed.encode(),
                 extra_env=LORA_READY)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    data = json.loads(result.stdout)  # the prompts went to stderr
    assert data["passed"] is True
    assert data["answers"]["goal"] == "task_specialisation"
    assert data["answers"]["prompting"]["tried"] == ["queue definitions",
                                                     "20 few-shot examples"]
    assert b"Is that right?" in result.stderr


def test_validate_exit_codes_and_json(tmp_path: Path,
                                      write_dataset: Callable[..., Path]) -> None:
    good = run(["validate", "--json", str(write_dataset(50))], tmp_path)
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert {"format", "examples", "invalid_examples", "errors", "warnings", "stats",
            "tokens"} <= set(report)
    assert report["format"] == "chat" and report["tokens"]["encoding"] == "o200k_base"
    bad = run(["validate", str(write_dataset(50, name="bad.jsonl",
                                             extra_lines=("{oops",)))], tmp_path)
    assert bad.returncode == 1 and b"invalid" in bad.stdout.lower()
    missing = run(["validate", str(tmp_path / "nope.jsonl")], tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith(b"error: ")
    both = run(["validate", "--model", "gpt-4o", "--tokenizer", str(tmp_path), "x"], tmp_path)
    assert both.returncode == 2 and b"alternatives" in both.stderr


def test_estimate_prints_both_routes_and_their_assumptions(
        tmp_path: Path, write_dataset: Callable[..., Path]) -> None:
    result = run(["estimate", str(write_dataset(600)), "--monthly-requests", "10000",
                  "--current-model", "gpt-4.1"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "OpenAI fine-tune gpt-4.1-mini" in out and "LoRA Qwen/Qwen2.5-7B-Instruct" in out
    assert "Assumptions:" in out and "per 1M training tokens" in out
    assert "Today: gpt-4.1" in out
