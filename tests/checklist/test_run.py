"""The checklist end to end: real validation, split, cost estimate, store, and the
use case read by the real verdict engine."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.checklist.answers import ChecklistAnswers
from bot.checklist.result import Status
from bot.checklist.run import Requester, file_sha256
from bot.checklist.service import ChecklistService
from bot.checklist.store import ChecklistStore
from bot.config import Settings
from bot.db import database_url, open_engine
from bot.evaluation.store import Baseline, BaselineStore
from bot.wiring import Services
from tests.conftest import TODAY

PASSING: dict[str, Any] = {
    "use_case": "Route each support ticket to one of eight queues; the reply is one label.",
    "prompting": {"tried": ["queue definitions", "20 few-shot examples"],
                  "baseline": "81% exact match on 300 tickets"},
    "knowledge_base": "not_needed",
    "reviewed_by": "two support leads",
    "backend": "lora",
    "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
}


def service(tmp_path: Path, services: Services, **env: Any) -> ChecklistService:
    settings = Settings(FT_DATA_DIR=tmp_path / "data", FT_TODAY=TODAY, FT_BUDGET=50,
                        FT_LORA_RUNNER="ray", RAY_ADDRESS="ray://127.0.0.1:10001", **env)
    engine = open_engine(database_url(None, settings.data_dir))
    return ChecklistService(settings, services.goal_of, ChecklistStore(engine),
                            BaselineStore(engine))


def record_baseline(checker: ChecklistService, held_out: Path, score: float) -> None:
    engine = open_engine(database_url(None, checker.settings.data_dir))
    BaselineStore(engine).save(Baseline(
        model="gpt-4.1-mini", evaluator="exact_match", score=score, examples=400,
        failures=0, held_out_sha256=file_sha256(held_out)))


def statuses(result: Any) -> dict[str, Status]:
    return {item.key: item.status for item in result.items}


def test_a_complete_case_passes_and_is_stored_with_its_hashes(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    dataset = write_dataset(800)
    checker = service(tmp_path, services)
    result = checker.check(ChecklistAnswers.model_validate(PASSING), dataset,
                           Requester(user="U1", channel="C1", thread_ts="1.2"))
    assert statuses(result) == dict.fromkeys(statuses(result), Status.PASS), result.as_text()
    assert result.passed and len(result.items) == 8
    ref = result.dataset
    assert ref is not None and ref.sha256 == file_sha256(dataset)
    train, held = Path(ref.train_file), Path(ref.validation_file or "")
    assert ref.train_sha256 == file_sha256(train) and ref.validation_sha256 == file_sha256(held)
    assert ref.train_examples + (ref.validation_examples or 0) == 800
    assert 40 <= (ref.validation_examples or 0) <= 130  # about 10%
    train_lines = set(train.read_text().splitlines())
    assert not train_lines & set(held.read_text().splitlines())
    assert result.cost_text and "LoRA" in result.cost_text
    stored = checker.store.get(result.id)
    assert stored is not None and stored.passed and stored.dataset == ref
    assert stored.requested_by == "U1" and stored.thread_ts == "1.2"
    # The same dataset splits the same way every time.
    again = checker.check(ChecklistAnswers.model_validate(PASSING), dataset)
    assert again.dataset is not None and again.dataset.train_sha256 == ref.train_sha256


def test_the_use_case_is_read_by_the_verdict_engine(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    answers = ChecklistAnswers.model_validate(
        {**PASSING, "use_case": "We want the assistant to answer questions from our "
                                "internal wiki pages and policy documents."})
    result = service(tmp_path, services).check(answers, write_dataset(800))
    use_case = next(i for i in result.items if i.key == "use_case")
    assert use_case.status is Status.FAIL
    assert "knowledge base" in use_case.reason and "read from the use case" in use_case.reason


@pytest.mark.parametrize(("changes", "key", "status", "words"), [
    ({"prompting": {"tried": [], "baseline": None}}, "prompting", Status.UNKNOWN, "baseline"),
    ({"goal": "factual_accuracy"}, "use_case", Status.FAIL, "knowledge base"),
    ({"reviewed_by": None}, "data", Status.UNKNOWN, "who checked"),
    ({"base_model": None}, "backend", Status.UNKNOWN, "base model"),
    ({"backend": "openai", "openai_org_eligible": True}, "backend", Status.FAIL,
     "OPENAI_API_KEY"),
])
def test_each_gap_is_reported(tmp_path: Path, services: Services,
                              write_dataset: Callable[..., Path], changes: dict[str, Any],
                              key: str, status: Status, words: str) -> None:
    answers = ChecklistAnswers.model_validate({**PASSING, **changes})
    result = service(tmp_path, services).check(answers, write_dataset(800))
    item = next(i for i in result.items if i.key == key)
    assert (item.status, not result.passed) == (status, True)
    assert words in item.reason


def test_too_little_data_fails_with_collect_more(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    result = service(tmp_path, services).check(ChecklistAnswers.model_validate(PASSING),
                                               write_dataset(120))
    data = next(i for i in result.items if i.key == "data")
    assert data.status is Status.FAIL and "collect more" in data.reason
    assert "120 examples (counted in the dataset)" in data.reason


def test_blocking_errors_fail_validation_and_hold_back_the_split(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    dataset = write_dataset(800, extra_lines=('{"messages": [', '"just a string"'))
    result = service(tmp_path, services).check(ChecklistAnswers.model_validate(PASSING),
                                                dataset)
    found = statuses(result)
    assert found["dataset"] is Status.FAIL and found["held_out"] is Status.UNKNOWN
    assert found["cost"] is Status.UNKNOWN and result.dataset is None
    reason = next(i.reason for i in result.items if i.key == "dataset")
    assert "801" in reason and "802" in reason  # the line numbers of the bad lines


def test_over_budget_fails(tmp_path: Path, services: Services,
                           write_dataset: Callable[..., Path]) -> None:
    checker = service(tmp_path, services)
    checker.settings.budget = 0.01
    result = checker.check(ChecklistAnswers.model_validate(PASSING), write_dataset(800))
    cost = next(i for i in result.items if i.key == "cost")
    assert cost.status is Status.FAIL and "exceeds the budget of 0.01 EUR" in cost.reason


def test_a_validation_file_that_overlaps_training_fails(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    train = write_dataset(800)
    validation = write_dataset(100, name="validation.jsonl", start=750)  # 50 overlap
    answers = ChecklistAnswers.model_validate({**PASSING, "validation_file": validation})
    result = service(tmp_path, services).check(answers, train)
    held = next(i for i in result.items if i.key == "held_out")
    assert held.status is Status.FAIL and held.reason.startswith("50 validation examples")
    ref = result.dataset
    assert ref is not None and ref.validation_sha256 == file_sha256(validation)
    assert Path(ref.validation_file or "").read_bytes() == validation.read_bytes()
    assert Path(ref.train_file).read_bytes() == train.read_bytes()


def test_without_a_dataset_the_stated_count_is_used(tmp_path: Path,
                                                     services: Services) -> None:
    answers = ChecklistAnswers.model_validate({**PASSING, "examples": 2500})
    result = service(tmp_path, services).check(answers, None)
    found = statuses(result)
    assert found["data"] is Status.PASS
    assert found["dataset"] is found["held_out"] is found["cost"] is Status.UNKNOWN
    json.dumps(result.to_json_dict())  # serialisable as stored


@pytest.mark.parametrize("with_validation_file", [True, False])
def test_a_recorded_baseline_for_the_held_out_file_is_cited(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path],
        with_validation_file: bool) -> None:
    train = write_dataset(800)
    validation = write_dataset(100, name="validation.jsonl", start=800)
    raw = {**PASSING, "prompting": {"tried": ["queue definitions"], "baseline": None}}
    checker = service(tmp_path, services)
    if with_validation_file:
        raw["validation_file"] = validation
        record_baseline(checker, validation, 0.78)
        record_baseline(checker, write_dataset(50, name="other.jsonl"), 0.5)
    else:  # ft-advisor splits: the baseline was measured on the source dataset
        record_baseline(checker, train, 0.78)
    result = checker.check(ChecklistAnswers.model_validate(raw), train)
    prompting = next(i for i in result.items if i.key == "prompting")
    assert prompting.status is Status.PASS, prompting.reason
    today = dt.datetime.now(dt.UTC).date()
    assert prompting.reason == ("Tried: queue definitions; baseline measured by ft-advisor: "
                                "78.0% exact_match on 400 held-out examples (gpt-4.1-mini, "
                                f"{today}).")


def test_without_a_recorded_baseline_a_stated_one_is_needed(
        tmp_path: Path, services: Services, write_dataset: Callable[..., Path]) -> None:
    checker = service(tmp_path, services)
    record_baseline(checker, write_dataset(100, name="validation.jsonl"), 0.78)
    raw = {**PASSING, "prompting": {"tried": ["queue definitions"], "baseline": None}}
    result = checker.check(ChecklistAnswers.model_validate(raw), write_dataset(800))
    prompting = next(i for i in result.items if i.key == "prompting")
    assert prompting.status is Status.UNKNOWN and "measured" not in prompting.reason
