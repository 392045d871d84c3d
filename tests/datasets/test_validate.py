"""The validator: warnings, the report contract, the parallel path, unreadable files,
and a fuzz test that it never raises on content."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.datasets import validate as validate_module
from bot.datasets.formats import has_personal_data
from bot.datasets.report import render_report
from bot.datasets.validate import read_chunks, validate_dataset
from bot.errors import InputError
from tests.datasets.conftest import Writer, chat, preference, varied


def test_a_clean_file_is_usable_and_the_json_has_the_contract_shape(write: Writer) -> None:
    report = validate_dataset(write(varied(12)))
    data = report.model_dump(mode="json")
    assert list(data) == ["file", "format", "examples", "invalid_examples", "errors",
                          "warnings", "stats", "tokens", "usable", "validation"]
    assert data["format"] == "chat" and data["examples"] == 12 and data["usable"] is True
    assert data["errors"] == {} and data["warnings"] == {} and report.exit_code == 0
    assert set(data["tokens"]) == {"total", "encoding", "exact", "max_example_tokens",
                                   "truncated_examples", "tokens_cut"}
    stats = data["stats"]
    assert stats["examples"] == 12 and stats["messages_per_example"]["median"] == 3
    for name in ("messages_per_example", "tokens_per_example", "tokens_per_assistant_reply"):
        assert set(stats[name]) == {"min", "p5", "median", "p95", "max", "mean"}
    assert stats["mean_prompt_tokens"] > stats["mean_completion_tokens"] > 0
    text = render_report(report)
    assert "12 examples" in text and "usable" in text and "o200k_base, exact" in text


def test_every_non_blank_line_is_one_example(write: Writer) -> None:
    lines: list[Any] = ["", *varied(3), "   ", "\t", "not json", *varied(8, start=3), ""]
    report = validate_dataset(write(lines))
    assert report.examples == 12 and report.invalid_examples == 1
    assert report.errors["invalid_json"].lines == [7]  # physical line numbers
    assert report.stats.blank_lines == 4 and report.stats.examples == 11


def test_too_few_examples_is_a_file_level_error(write: Writer) -> None:
    report = validate_dataset(write([*varied(9), "oops"]))
    assert report.errors["too_few_examples"].count == 1
    assert report.errors["too_few_examples"].lines == []
    assert report.invalid_examples == 1 and not report.usable


def test_empty_file(write: Writer) -> None:
    report = validate_dataset(write([]))
    assert report.examples == 0 and report.format == "unknown" and not report.usable
    assert report.stats.tokens_per_example is None and report.tokens.total == 0
    assert "too_few_examples" in report.errors


def test_byte_order_mark_is_ignored_with_a_warning(write: Writer) -> None:
    lines = [b"\xef\xbb\xbf" + orjson.dumps(chat()), *varied(10)]
    report = validate_dataset(write(lines))
    assert report.usable and report.warnings["byte_order_mark"].lines == [1]


def test_missing_system_and_user_messages(write: Writer) -> None:
    no_system = chat(system=None)
    no_user = {"messages": [{"role": "system", "content": "Greet."},
                            {"role": "assistant", "content": "Hello there, welcome!"}]}
    report = validate_dataset(write([*varied(10), no_system, no_user]))
    assert report.warnings["missing_system_message"].lines == [11]
    assert report.warnings["missing_user_message"].lines == [12]
    assert report.usable


def test_exact_and_near_duplicates(write: Writer) -> None:
    base = varied(10)
    near = chat(user="  QUESTION number 3, about order 21 ", reply="answer 3 the order ships "
                "in 4 days")
    report = validate_dataset(write([*base, base[2], base[2], near, base[5]]))
    assert report.warnings["duplicate_examples"].count == 3
    assert report.warnings["duplicate_examples"].lines == [11, 12, 14]
    assert report.warnings["near_duplicate_examples"].lines == [13]
    assert report.usable


def test_short_replies_warn_unless_they_are_labels(write: Writer) -> None:
    chatty = [*varied(10), chat(user="Thanks!", reply="OK")]
    assert validate_dataset(write(chatty)).warnings["short_assistant_replies"].lines == [11]

    labels = [chat(user=f"Ticket {i}: my card was charged twice", reply=label)
              for i, label in enumerate(["billing", "bug", "login"] * 10)]
    report = validate_dataset(write(labels))
    assert "short_assistant_replies" not in report.warnings
    assert "label_imbalance" not in report.warnings
    assert report.stats.labels == {"billing": 10, "bug": 10, "login": 10}


def test_label_imbalance(write: Writer) -> None:
    replies = ["billing"] * 60 + ["bug"] * 39 + ["login"] * 1
    labels = [chat(user=f"Ticket {i}", reply=label) for i, label in enumerate(replies)]
    report = validate_dataset(write(labels))
    assert report.warnings["label_imbalance"].count == 1  # "login": 1% and 1/60
    assert report.stats.labels == {"billing": 60, "bug": 39, "login": 1}
    ratio = ["yes"] * 50 + ["no"] * 5 + ["maybe"] * 5
    report = validate_dataset(write([chat(user=f"q{i}", reply=r) for i, r in enumerate(ratio)]))
    assert report.warnings["label_imbalance"].count == 2  # both at a tenth of "yes"


def test_many_distinct_short_replies_are_not_labels(write: Writer) -> None:
    replies = [f"Reply {i}" for i in range(30)]
    report = validate_dataset(write([chat(user=f"q{i}", reply=r) for i, r in enumerate(replies)]))
    assert report.stats.labels is None and "label_imbalance" not in report.warnings


@pytest.mark.parametrize("text", [
    "Write to jane.doe@acme-corp.co.uk for a refund.",
    "Call me on (415) 555-0132 tomorrow.",
    "My number is 415-555-0132.",
    "Reach us at +44 20 7946 0958 or +4915112345678.",
])
def test_personal_data_is_found(text: str) -> None:
    assert has_personal_data(text)


@pytest.mark.parametrize("text", [
    "Use user@example.com or admin@mail.example.org in the docs.",
    "Order 12345678901 shipped on 2024-01-15 at 10:30.",
    "Version 1.2.3, ISBN 978-3-16-148410-0, total 1,234,567.89 EUR.",
    "Call the function at line 415 555 times; IP 192.168.100.2; +1 point.",
    "The ratio was 3+4 and the @mention was for @team.",
])
def test_personal_data_is_not_every_number(text: str) -> None:
    assert not has_personal_data(text)


def test_personal_data_scan_does_not_backtrack() -> None:
    start = time.perf_counter()
    assert not has_personal_data(("+1" + "2" * 40 + "x ") * 2000)
    assert time.perf_counter() - start < 0.5


def test_personal_data_warning(write: Writer) -> None:
    leak = chat(user="I'm bob.smith@gmail.com, order late", reply="Sorry Bob, checking now.")
    report = validate_dataset(write([*varied(10), leak]))
    assert report.warnings["personal_data"].lines == [11] and report.usable


def test_identical_preference_outputs(write: Writer) -> None:
    same = preference(99, non_preferred_output=preference(99)["preferred_output"])
    report = validate_dataset(write([*(preference(i) for i in range(10)), same]))
    assert report.warnings["identical_preference_outputs"].lines == [11] and report.usable


def test_validation_file_and_overlap(write: Writer) -> None:
    train = write(varied(20))
    near_copy = chat(user="question NUMBER 4 about order 28", reply="Answer 4: the order "
                     "ships in 5 days!")
    validation = write([*varied(5, start=100), near_copy, varied(1, start=7)[0], "bad"],
                       name="validation.jsonl")
    report = validate_dataset(train, validation_path=validation)
    assert report.validation is not None and report.validation.examples == 8
    assert report.validation.file == str(validation)
    assert report.validation.errors["invalid_json"].lines == [8]
    assert report.warnings["train_validation_overlap"].count == 2
    assert report.warnings["train_validation_overlap"].lines == [6, 7]
    assert not report.usable  # the validation file has a blocking error
    assert "Validation file:" in render_report(report)


def test_progress_reports_every_byte(write: Writer) -> None:
    path = write(varied(300))
    seen: list[int] = []
    validate_dataset(path, progress=seen.append, chunk_bytes=4096)
    assert len(seen) > 3 and sum(seen) == path.stat().st_size


def _mixed_file(write: Writer, count: int) -> Path:
    """A file with every kind of problem, duplicates and labels spread through it."""
    rng = random.Random(3)
    lines: list[Any] = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.05:
            lines.append(rng.choice([b"{bad", b"[]", b"", b"\xff\xfe", b"   "]))
        elif roll < 0.10 and lines:
            lines.append(rng.choice(lines))
        elif roll < 0.15:
            lines.append(chat(user=f"Question {i}?", reply=rng.choice(["OK", "Sure", "No"])))
        elif roll < 0.18:
            lines.append(chat(user=f"mail me at u{i}@corp.io", reply="Noted, thank you."))
        else:
            lines.append(chat(user=f"Question {i} " + "detail " * rng.randint(0, 50),
                              reply=f"Answer {i} " + "more " * rng.randint(0, 80)))
    return write(lines)


def test_the_pool_gives_the_same_report_as_in_process(write: Writer) -> None:
    path = _mixed_file(write, 3000)
    alone = validate_dataset(path, workers=1, max_example_tokens=80)
    pooled = validate_dataset(path, workers=2, pool_threshold=0, chunk_bytes=20_000,
                              max_example_tokens=80)
    assert pooled.model_dump() == alone.model_dump()
    assert alone.examples == sum(1 for line in path.read_bytes().split(b"\n")
                                 if line.strip())
    assert {"invalid_json", "invalid_utf8", "not_an_object"} <= alone.errors.keys()
    assert {"duplicate_examples", "personal_data", "short_assistant_replies",
            "over_context_limit"} <= alone.warnings.keys()


def test_the_pool_works_with_spawned_workers(
    write: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    path = _mixed_file(write, 400)
    alone = validate_dataset(path, workers=1)
    monkeypatch.setattr(validate_module, "_mp_context",
                        lambda: multiprocessing.get_context("spawn"))
    pooled = validate_dataset(path, workers=2, pool_threshold=0, chunk_bytes=8_000)
    assert pooled.model_dump() == alone.model_dump()


def test_an_over_long_line_is_skipped_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 10_000 + b"\n" + b'{"b": 2}\n' + b"y" * 5000)
    with path.open("rb") as file:
        blocks = list(read_chunks(file, chunk_bytes=1000, max_line=3000))
    assert [(b.first_line, b.data, b.skipped) for b in blocks] == [
        (1, b'{"a": 1}\n', 0), (2, b"", 10_001), (3, b'{"b": 2}\n', 0), (4, b"", 5000)]


def test_over_long_lines_are_counted(write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "MAX_LINE_BYTES", 500)
    path = write([*varied(10), chat(user="long " * 200)])
    report = validate_dataset(path)
    assert report.errors["line_too_long"].lines == [11] and report.examples == 11


def test_unreadable_paths_raise_input_error(tmp_path: Path, write: Writer) -> None:
    with pytest.raises(InputError, match="does not exist"):
        validate_dataset(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="is a directory"):
        validate_dataset(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        validate_dataset(write(varied(10)), validation_path=tmp_path / "nope.jsonl")


def test_a_file_without_permission_raises_input_error(
    write: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(varied(10))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(validate_module, "open", refuse, raising=False)  # root reads anything
    with pytest.raises(InputError, match="permission denied"):
        validate_dataset(path)


# ---- fuzz -----------------------------------------------------------------------

DEEP = {f"DEEP{depth}": depth for depth in (30, 300, 1000, 1100)}
JUNK: list[Any] = [None, True, 0, -1, 1.5, 2**63 - 1, "", "x", [], {}, [[[]]], {"a": {"b": []}},
                   "<|endoftext|>", "\u0000", "\ud7ff", [{"type": "text"}], {"role": "user"}]


def _mutate_value(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A copy of a JSON value with one nested value replaced by junk."""
    if isinstance(value, dict) and value and depth < 6 and rng.random() < 0.7:
        key = rng.choice(list(value))
        return {**value, key: _mutate_value(value[key], rng, depth + 1)}
    if isinstance(value, list) and value and depth < 6 and rng.random() < 0.7:
        index = rng.randrange(len(value))
        return [*value[:index], _mutate_value(value[index], rng, depth + 1), *value[index + 1:]]
    if rng.random() < 0.1:
        return rng.choice(list(DEEP))  # replaced by deep nesting once encoded
    return rng.choice(JUNK)


def _mutate_bytes(line: bytes, rng: random.Random) -> bytes:
    data = bytearray(line)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        position = rng.randrange(len(data) + 1)
        if kind < 0.3 and data:
            data[min(position, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind < 0.5:
            data[position:position] = bytes([rng.randrange(256)])
        elif kind < 0.7 and data:
            del data[min(position, len(data) - 1)]
        elif kind < 0.8:
            del data[position:]
        elif kind < 0.9:
            data[position:position] = rng.choice([b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88",
                                                  b"\xef\xbb\xbf", b"\\ud800", b"NaN", b"\r"])
        else:
            data[position:position] = b"[" * rng.choice([100, 1100]) + b"]" * 100
    return bytes(data).replace(b"\n", b" ")


def _fuzzed_line(rng: random.Random) -> bytes:
    example: Any = rng.choice([
        chat(), preference(), chat(tools=[{"type": "function", "function": {"name": "f"}}]),
        {"messages": [{"role": "user", "content": "hi"},
                      {"role": "assistant", "tool_calls": [
                          {"id": "1", "type": "function",
                           "function": {"name": "f", "arguments": "{}"}}]},
                      {"role": "tool", "tool_call_id": "1", "content": "x"},
                      {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}]},
    ])
    if rng.random() < 0.6:
        example = _mutate_value(example, rng)
    line = orjson.dumps(example)
    for name, depth in DEEP.items():  # orjson reads 1024 levels but writes only 255
        nested = b'{"k": [' * (depth // 2) + b"1" + b"]}" * (depth // 2)
        line = line.replace(f'"{name}"'.encode(), nested)
    return _mutate_bytes(line, rng) if rng.random() < 0.5 else line


def test_fuzz_never_raises_and_accounts_for_every_line(tmp_path: Path) -> None:
    rng = random.Random(20241128)
    path = tmp_path / "fuzz.jsonl"
    for _ in range(300):
        lines = [_fuzzed_line(rng) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.2:
            lines.insert(rng.randrange(len(lines) + 1), b"   ")
        data = b"\n".join(lines) + rng.choice([b"", b"\n", b"\r\n"])
        path.write_bytes(data)
        report = validate_dataset(path, min_examples=rng.choice([0, 1, 10]),
                                  max_example_tokens=rng.choice([5, 65536]))
        pieces = data.split(b"\n")
        pieces[0] = pieces[0].removeprefix(b"\xef\xbb\xbf")
        non_blank = sum(1 for line in pieces if line.strip())
        assert report.examples == non_blank
        assert 0 <= report.invalid_examples <= report.examples
        assert report.stats.examples == report.examples - report.invalid_examples
        assert report.usable == (not report.errors)
        render_report(report)
