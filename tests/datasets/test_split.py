"""The held-out split: deterministic, honours the fraction, never splits duplicates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.datasets.split import split_dataset
from bot.datasets.validate import validate_dataset
from bot.errors import InputError
from tests.datasets.conftest import Writer, chat, varied

PUNCTUATION = re.compile(r"[^\w\s]+")


def normalised(line: bytes) -> tuple[tuple[str, str], ...]:
    """The test's own normalisation: roles and casefolded, punctuation-free text."""
    messages = orjson.loads(line)["messages"]
    return tuple((m["role"], " ".join(PUNCTUATION.sub("", m["content"].casefold()).split()))
                 for m in messages)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def test_split_is_deterministic_honours_the_fraction_and_never_overlaps(
    write: Writer, tmp_path: Path
) -> None:
    source = write([*varied(1000), "not json", "[1]", ""])
    first = split_dataset(source, tmp_path / "a", fraction=0.1, seed=7)
    second = split_dataset(source, tmp_path / "b", fraction=0.1, seed=7)
    train_path, validation_path, counts = first
    assert train_path.read_bytes() == second.train_path.read_bytes()
    assert validation_path.read_bytes() == second.validation_path.read_bytes()
    assert counts.train + counts.validation == 1000 and counts.skipped == 2
    assert 60 <= counts.validation <= 140
    assert (first.train_examples, first.validation_examples) == (counts.train, counts.validation)
    train, validation = lines_of(train_path), lines_of(validation_path)
    assert len(train) == counts.train and len(validation) == counts.validation
    assert not {normalised(x) for x in train} & {normalised(x) for x in validation}
    assert sorted(train + validation) == sorted(orjson.dumps(e) for e in varied(1000))
    other = split_dataset(source, tmp_path / "c", fraction=0.1, seed=8)
    assert other.validation_path.read_bytes() != validation_path.read_bytes()
    assert [p.name for p in sorted((tmp_path / "a").iterdir())] == [
        "train.train.jsonl", "train.validation.jsonl"]  # no temporary files left


def test_duplicates_land_on_one_side(write: Writer, tmp_path: Path) -> None:
    examples: list[Any] = []
    for i in range(200):
        example = chat(user=f"Question {i}: where is order {i}?", reply=f"Order {i} shipped.")
        near = chat(user=f"question {i} where is ORDER {i}", reply=f"order {i} shipped!!")
        examples += [example, example, near]
    split = split_dataset(write(examples), tmp_path / "out", fraction=0.3, seed="s")
    train, validation = lines_of(split.train_path), lines_of(split.validation_path)
    assert len(train) % 3 == 0 and len(validation) % 3 == 0 and validation
    assert not {normalised(x) for x in train} & {normalised(x) for x in validation}
    report = validate_dataset(split.train_path, validation_path=split.validation_path)
    assert "train_validation_overlap" not in report.warnings


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5])
def test_a_fraction_outside_zero_and_one_is_refused(
    write: Writer, tmp_path: Path, fraction: float
) -> None:
    with pytest.raises(InputError, match="between 0 and 1"):
        split_dataset(write(varied(3)), tmp_path, fraction=fraction)


def test_an_unreadable_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        split_dataset(tmp_path / "missing.jsonl", tmp_path / "out")
    assert not (tmp_path / "out" / "missing.train.jsonl").exists()
