"""LoRA training and the local runner, end to end on a tiny random LLaMA-style model whose
tokenizer is trained here: no hub, no network (HF_HUB_OFFLINE=1 in the jobs)."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.db import database_url, open_engine
from bot.errors import InputError
from bot.evaluation.session import compare_job, held_out, run_baseline
from bot.finetune.chat_data import IGNORE_INDEX, Chat, DataError, encode, encode_all, read_chats
from bot.finetune.predict import lora_predictors
from bot.finetune.runners import LocalRunner
from bot.jobs.backend import TERMINAL, BackendEvent, JobStatus, Outcome, Progress, Snapshot
from bot.jobs.spec import DataFile, JobSpec, LoraHyperparameters
from bot.jobs.store import JobStore
from tests.jobs import synthetic

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@dataclasses.dataclass(frozen=True)
class Workspace:
    model: Path
    train: DataFile
    valid: DataFile

    def spec(self, launch_id: str, **lora: Any) -> JobSpec:
        hyper = {"r": 4, "alpha": 8, "batch_size": 4, "gradient_accumulation": 1}
        hyper |= {"learning_rate": 5e-3, "max_seq_length": 256, **lora}
        return JobSpec(
            launch_id=launch_id,
            backend="lora",
            base_model=str(self.model),
            training_file=self.train,
            validation_file=self.valid,
            lora=LoraHyperparameters(**hyper),
        )


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return synthetic.train_tokenizer(synthetic.corpus(synthetic.chats(60, seed=7)), 400)


def make_workspace(root: Path) -> Workspace:
    """A tiny random LLaMA-style model with its own tokenizer, and chat data files."""
    rows = synthetic.chats(40, seed=1)
    tokenizer = synthetic.train_tokenizer(synthetic.corpus(rows), 400)
    model = root / "tiny-llama"
    synthetic.build_model(tokenizer, hidden=48, layers=2).save_pretrained(model)
    tokenizer.save_pretrained(model)
    train_sha = synthetic.write_jsonl(root / "train.jsonl", rows[:32])
    valid_sha = synthetic.write_jsonl(root / "valid.jsonl", rows[32:])
    return Workspace(
        model,
        DataFile(path=root / "train.jsonl", sha256=train_sha),
        DataFile(path=root / "valid.jsonl", sha256=valid_sha),
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("lora"))


def poll_until(
    runner: LocalRunner,
    external_id: str,
    done: Callable[[Snapshot, list[BackendEvent]], bool],
    timeout: float = 120.0,
) -> tuple[Snapshot, list[BackendEvent]]:
    """Poll with the cursor until `done`; the last snapshot and every event seen."""
    events: list[BackendEvent] = []
    cursor = None
    deadline = time.monotonic() + timeout
    while True:
        snapshot = runner.poll(external_id, cursor)
        cursor = snapshot.cursor
        events += snapshot.events
        if done(snapshot, events):
            return snapshot, events
        assert time.monotonic() < deadline, f"timed out; last snapshot {snapshot}"
        time.sleep(0.3)


def live_processes_in_group(pgid: int) -> list[int]:
    """Pids of the group's processes that are not zombies (Linux /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:
            continue
        if group == str(pgid) and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def finished(snapshot: Snapshot, _: list[BackendEvent]) -> bool:
    return snapshot.status in TERMINAL


# --- labels ---------------------------------------------------------------------------


def test_labels_cover_assistant_replies_only(tokenizer: Any) -> None:
    chat = Chat(
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "where is my order"},
            {"role": "assistant", "content": "it ships today"},
            {"role": "user", "content": "thanks"},
            {"role": "assistant", "content": "glad to help", "weight": 0},
            {"role": "user", "content": "and the refund"},
            {"role": "assistant", "content": "the refund is sent"},
        ]
    )
    example = encode(tokenizer, chat, max_length=1024)
    ids, labels = example["input_ids"], example["labels"]
    trained = [token for token, label in zip(ids, labels, strict=True) if label != IGNORE_INDEX]
    masked = [token for token, label in zip(ids, labels, strict=True) if label == IGNORE_INDEX]

    assert all(label in (IGNORE_INDEX, token) for token, label in zip(ids, labels, strict=True))
    # Exactly the two trained replies, each with its end-of-turn token; nothing else.
    assert tokenizer.decode(trained) == "it ships today<|end|>\nthe refund is sent<|end|>\n"
    prompt_side = tokenizer.decode(masked)
    for text in (
        "<s>",
        "<|system|>",
        "be brief",
        "where is my order",
        "<|assistant|>",
        "glad to help",
    ):
        assert text in prompt_side


def test_truncation_and_examples_without_trained_tokens(tokenizer: Any) -> None:
    long_prompt = Chat(
        [
            {"role": "user", "content": " ".join(["order"] * 200)},
            {"role": "assistant", "content": "ok"},
        ]
    )
    short = Chat([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    truncated = encode(tokenizer, long_prompt, max_length=32)
    assert len(truncated["input_ids"]) == len(truncated["labels"]) == 32
    kept, skipped = encode_all(tokenizer, [long_prompt, short], max_length=32)
    assert (len(kept), skipped) == (1, 1)


def test_template_that_rewrites_earlier_turns_is_refused(tokenizer: Any) -> None:
    odd = copy.deepcopy(tokenizer)
    odd.chat_template = (
        "{{ messages | length }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    chat = Chat([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    with pytest.raises(DataError, match="assistant replies cannot be located"):
        encode(odd, chat, max_length=64)


def test_data_files_are_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    sha = synthetic.write_jsonl(good, synthetic.chats(2))
    assert len(read_chats(good, sha)) == 2
    with pytest.raises(DataError, match="changed after it was checked"):
        read_chats(good, "0" * 64)
    (tmp_path / "bad.jsonl").write_text('{"messages": []}\n')
    with pytest.raises(DataError, match=r"Line 1 .* no 'messages' list"):
        read_chats(tmp_path / "bad.jsonl")
    with pytest.raises(DataError, match="not found"):
        read_chats(tmp_path / "missing.jsonl")


# --- the local runner, end to end -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    external_id: str
    adopted_id: str | None
    resubmitted_id: str
    pid_before: str
    pid_after: str
    snapshot: Snapshot
    events: list[BackendEvent]
    job_dir: Path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, workspace: Workspace) -> Run:
    """A 4-step job submitted by one runner, then found, resubmitted and polled to the end
    by a second runner object over the same jobs dir (as after a bot restart)."""
    jobs = tmp_path_factory.mktemp("jobs")
    spec = workspace.spec("run-e2e-0001", max_steps=4, eval_steps=2)
    first = LocalRunner(jobs, env=OFFLINE)
    external_id = first.submit(spec)
    job_dir = jobs / "run-e2e-0001"
    pid_before = (job_dir / "pid").read_text()

    second = LocalRunner(jobs, env=OFFLINE)
    adopted_id = second.find(spec.launch_id)
    resubmitted_id = second.submit(spec)
    snapshot, events = poll_until(second, external_id, finished)
    return Run(
        external_id,
        adopted_id,
        resubmitted_id,
        pid_before,
        (job_dir / "pid").read_text(),
        snapshot,
        events,
        job_dir,
    )


def test_local_run_succeeds_with_adapter_and_loss_curve(finished_run: Run) -> None:
    snapshot, job = finished_run.snapshot, finished_run.job_dir
    assert snapshot.status is JobStatus.SUCCEEDED, snapshot.error
    assert snapshot.outcome is not None
    adapter = Path(snapshot.outcome.model or "")
    assert adapter == job / "adapter"
    assert (adapter / "adapter_config.json").is_file()
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 4
    curve = Path(snapshot.outcome.loss_curve or "")
    assert curve == job / "loss_curve.png"
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert snapshot.outcome.trained_tokens and snapshot.outcome.trained_tokens > 0
    assert math.isfinite(snapshot.outcome.final_eval_loss or math.nan)
    assert list((job / "checkpoints").glob("checkpoint-*")), "no checkpoint saved"


def test_progress_records_parse_into_progress(finished_run: Run) -> None:
    lines = (finished_run.job_dir / "progress.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    names = {f.name for f in dataclasses.fields(Progress)}
    steps = [
        Progress(**{k: v for k, v in r.items() if k in names}) for r in records if "event" not in r
    ]
    train = [p for p in steps if p.loss is not None]
    evals = [p for p in steps if p.eval_loss is not None]
    assert [p.step for p in train] == [1, 2, 3, 4]
    assert all(p.total_steps == 4 for p in steps)
    assert all(math.isfinite(p.loss or math.nan) for p in train)
    assert all(p.tokens_per_s and p.tokens_per_s > 0 for p in train)
    assert train[-1].eta_s == 0
    assert [p.step for p in evals] == [2, 4]
    assert records[0]["event"] == "start" and records[-1]["event"] == "done"

    progress = finished_run.snapshot.progress
    assert progress is not None and progress.step == 4 and progress.eval_loss == evals[-1].eval_loss
    messages = [e.message for e in finished_run.events]
    assert len({e.id for e in finished_run.events}) == len(messages), "an event came twice"
    assert messages[0].startswith("Training started: 4 steps over 32 examples")
    assert sum("validation loss" in m for m in messages) == 3  # two evals, and the summary
    assert messages[-1].startswith("Training finished:")


def test_second_runner_adopts_the_job_without_a_second_process(finished_run: Run) -> None:
    assert finished_run.adopted_id == finished_run.resubmitted_id == finished_run.external_id
    assert finished_run.pid_after == finished_run.pid_before
    log = (finished_run.job_dir / "train.log").read_text()
    assert log.count('"event": "start"') == 1


def test_cancel_stops_the_process_group(tmp_path: Path, workspace: Workspace) -> None:
    runner = LocalRunner(tmp_path, env=OFFLINE, grace_s=5)
    external_id = runner.submit(workspace.spec("run-cancel-01", max_steps=100_000))
    started = poll_until(
        runner,
        external_id,
        lambda s, ev: s.status in TERMINAL or any("started" in e.message for e in ev),
    )[0]
    assert started.status is JobStatus.RUNNING, started.error
    pid = json.loads((tmp_path / "run-cancel-01" / "pid").read_text())["pid"]

    runner.cancel(external_id)

    assert runner.poll(external_id).status is JobStatus.CANCELLED
    assert live_processes_in_group(pid) == []
    assert LocalRunner(tmp_path).poll(external_id).status is JobStatus.CANCELLED


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            {"base_model": "/nonexistent/base-model"},
            "The base model was not found: /nonexistent/base-model",
        ),
        (
            {"training_file": DataFile(path=Path("/nonexistent/train.jsonl"), sha256="0" * 64)},
            "The training file was not found: /nonexistent/train.jsonl",
        ),
    ],
    ids=["base-model", "training-file"],
)
def test_training_failure_is_reported_in_plain_words(
    tmp_path: Path, workspace: Workspace, broken: dict[str, Any], message: str
) -> None:
    runner = LocalRunner(tmp_path, env=OFFLINE)
    spec = workspace.spec("run-broken-01").model_copy(update=broken)
    snapshot, events = poll_until(runner, runner.submit(spec), finished)
    assert snapshot.status is JobStatus.FAILED
    assert snapshot.error == f"Training failed: {message}"
    assert events[-1].level == "error" and message in events[-1].message


def test_a_process_that_cannot_start_fails_with_its_log(
    tmp_path: Path, workspace: Workspace
) -> None:
    runner = LocalRunner(tmp_path, python=str(tmp_path / "no-python"))
    snapshot, _ = poll_until(runner, runner.submit(workspace.spec("run-nopython")), finished)
    assert snapshot.status is JobStatus.FAILED
    assert snapshot.error and snapshot.error.startswith(
        "The training process exited with code 127."
    )
    assert "no-python" in snapshot.error


def test_an_error_inside_training_is_reported(tmp_path: Path, workspace: Workspace) -> None:
    empty_model = tmp_path / "empty-model"
    empty_model.mkdir()
    runner = LocalRunner(tmp_path / "jobs", env=OFFLINE)
    spec = workspace.spec("run-broken-02").model_copy(update={"base_model": str(empty_model)})
    snapshot, _ = poll_until(runner, runner.submit(spec), finished)
    assert snapshot.status is JobStatus.FAILED
    assert snapshot.error and snapshot.error.startswith("Training failed: ")
    assert "tokenizer" in snapshot.error  # the loader's own words, on one line
    assert "\n" not in snapshot.error


def test_base_and_adapter_are_compared_on_the_held_out_set(
        tmp_path: Path, finished_run: Run, workspace: Workspace) -> None:
    store = JobStore(open_engine(database_url(None, tmp_path)))
    job, _ = store.claim(workspace.spec("compare-0001"))
    assert finished_run.snapshot.outcome is not None
    store.transition(job.id, JobStatus.SUCCEEDED, message="done",
                     outcome=finished_run.snapshot.outcome)
    done = store.get(job.id)
    assert done is not None
    comparison = compare_job(Settings(FT_DATA_DIR=tmp_path), done,
                             lora_predictors=lora_predictors)
    assert comparison.examples == 8
    assert comparison.baseline.name == str(workspace.model)
    assert comparison.tuned.name == str(finished_run.job_dir / "adapter")
    assert 0.0 <= comparison.baseline.score <= 1.0 and 0.0 <= comparison.tuned.score <= 1.0
    # Whatever four steps on a random model did, the text must say plainly when the
    # tuned model is not better beyond noise.
    plain = "did not beat the prompted baseline" in comparison.render_text()
    assert plain == (comparison.verdict != "better")
    missing = store.claim(workspace.spec("compare-0002"))[0]
    store.transition(missing.id, JobStatus.SUCCEEDED, message="done",
                     outcome=Outcome(model=str(tmp_path / "gone")))
    with pytest.raises(InputError, match="adapter is not on this machine"):
        lora_predictors(store.get(missing.id))  # type: ignore[arg-type]


def test_a_local_base_model_runs_the_baseline(tmp_path: Path, workspace: Workspace) -> None:
    examples = held_out(workspace.valid.path)
    result = run_baseline(Settings(FT_DATA_DIR=tmp_path), examples, str(workspace.model))
    assert result.examples == len(examples) == 8
    assert len(result.run.predictions) == 8
    assert 0.0 <= result.evaluation.mean <= 1.0
