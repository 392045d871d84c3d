"""LoRA training throughput, run by hand on a GPU machine (not part of the test suite):

    .venv/bin/python -m tests.perf.bench_lora [--steps 40] [--examples 1024]
        [--batch-size 8] [--max-length 1024] [--first trl]

Builds a ~0.5B-parameter LLaMA-style model from a config (random weights, no hub; 28
layers, hidden 1024, grouped-query attention), a byte-level BPE tokenizer and a synthetic
support-desk chat set of varied lengths (one to two exchanges, 20 to 300 words a
message), saves them to a temporary folder and trains the same LoRA adapter (r=16,
alpha=32, all linear layers) on the same data, with the same batch, accumulation,
learning rate, max length, steps and seed, twice side by side in this one process:

1. OURS: `bot.finetune.trainer.train`, as a job runs it (assistant-only labels,
   length-grouped batches, precision by hardware, activation checkpointing on GPU);
2. TRL: `trl.SFTTrainer` with SFTConfig defaults for everything else (it trains on the
   whole sequence, pads in dataset order, bf16 and gradient checkpointing on).

For each it prints non-padding tokens/s (timed after `--warmup` optimizer steps, with the
GPU synchronised at every step end), seconds per step and peak GPU memory, then the
ratio. Both count tokens the same way (Trainer's non-padding input token count).

Without CUDA it says so and uses a tiny model and a few short steps, so the script can be
smoke-run on a CPU-only machine; those numbers say nothing about GPU throughput.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from bot.finetune.chat_data import read_chats
from bot.finetune.progress import ProgressLog
from bot.finetune.trainer import train
from bot.jobs.spec import DataFile, JobSpec, LoraHyperparameters
from tests.jobs import synthetic

GPU_MODEL = {"hidden": 1024, "layers": 28, "heads": 16, "kv_heads": 8, "intermediate": 4096}
CPU_MODEL = {"hidden": 64, "layers": 2, "heads": 4, "kv_heads": 2, "intermediate": 256}


class Stopwatch(TrainerCallback):
    """Wall time and tokens seen at each optimizer step end."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.marks.append((time.perf_counter(), state.num_input_tokens_seen))


@dataclass(frozen=True)
class Result:
    name: str
    tokens_per_s: float
    s_per_step: float
    peak_gib: float | None


def measure(name: str, stopwatch: Stopwatch, warmup: int) -> Result:
    (t0, n0), (t1, n1) = stopwatch.marks[warmup - 1], stopwatch.marks[-1]
    steps = len(stopwatch.marks) - warmup
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return Result(name, (n1 - n0) / (t1 - t0), (t1 - t0) / steps, peak)


def run_ours(spec: JobSpec, out: Path, warmup: int) -> Result:
    stopwatch = Stopwatch()
    chats = read_chats(spec.training_file.path, spec.training_file.sha256)
    log = ProgressLog(out / "progress.jsonl", echo=False)
    train(spec, chats, None, out, log, callbacks=[stopwatch])
    return measure("ours", stopwatch, warmup)


def run_trl(spec: JobSpec, out: Path, warmup: int) -> Result:
    from datasets import load_dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    hp = spec.lora
    stopwatch = Stopwatch()
    config = SFTConfig(
        output_dir=str(out),
        per_device_train_batch_size=hp.batch_size,
        gradient_accumulation_steps=hp.gradient_accumulation,
        learning_rate=hp.learning_rate,
        max_length=hp.max_seq_length,
        max_steps=hp.max_steps or -1,
        seed=hp.seed,
        include_num_input_tokens_seen="non_padding",  # the measure, not a training setting
        save_strategy="no",
        report_to="none",
        **({} if torch.cuda.is_available() else {"bf16": False}),  # its bf16 default needs a GPU
    )
    peft = LoraConfig(
        r=hp.r,
        lora_alpha=hp.alpha,
        lora_dropout=hp.dropout,
        target_modules=hp.target_modules,
        task_type="CAUSAL_LM",
    )
    dataset = load_dataset("json", data_files=str(spec.training_file.path), split="train")
    trainer = SFTTrainer(
        model=spec.base_model,
        args=config,
        train_dataset=dataset,
        peft_config=peft,
        callbacks=[stopwatch],
    )
    trainer.train()
    return measure("trl", stopwatch, warmup)


def build(folder: Path, args: argparse.Namespace, gpu: bool) -> JobSpec:
    rows = synthetic.chats(args.examples, seed=3, words=(20, 300) if gpu else (4, 40))
    tokenizer = synthetic.train_tokenizer(synthetic.corpus(rows), 2048 if gpu else 512)
    sizes = GPU_MODEL if gpu else CPU_MODEL
    model = synthetic.build_model(tokenizer, vocab_size=32000 if gpu else None, **sizes)
    print(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:,.1f}M parameters {sizes}")
    model.to(torch.bfloat16 if gpu else torch.float32).save_pretrained(folder / "model")
    tokenizer.save_pretrained(folder / "model")
    del model
    sha = synthetic.write_jsonl(folder / "train.jsonl", rows)
    return JobSpec(
        launch_id="bench-lora-0001",
        backend="lora",
        base_model=str(folder / "model"),
        training_file=DataFile(path=folder / "train.jsonl", sha256=sha),
        lora=LoraHyperparameters(
            r=16,
            alpha=32,
            batch_size=args.batch_size,
            gradient_accumulation=1,
            max_seq_length=args.max_length,
            max_steps=args.steps,
        ),
    )


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is built here; never the hub
    gpu = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40 if gpu else 6)
    parser.add_argument("--warmup", type=int, default=5 if gpu else 2)
    parser.add_argument("--examples", type=int, default=1024 if gpu else 64)
    parser.add_argument("--batch-size", type=int, default=8 if gpu else 4)
    parser.add_argument("--max-length", type=int, default=1024 if gpu else 256)
    parser.add_argument("--first", choices=["ours", "trl"], default="ours")
    args = parser.parse_args()
    if not gpu:
        print("NOTICE: no CUDA device; smoke run with a tiny model on CPU (not a benchmark).")
    else:
        print(f"device: {torch.cuda.get_device_name()}")

    runners = {"ours": run_ours, "trl": run_trl}
    order = [args.first, *(name for name in runners if name != args.first)]
    with tempfile.TemporaryDirectory(prefix="bench-lora-") as tmp:
        spec = build(Path(tmp), args, gpu)
        results = []
        for name in order:
            if gpu:
                torch.cuda.reset_peak_memory_stats()
            results.append(runners[name](spec, Path(tmp) / name, args.warmup))
            gc.collect()
            if gpu:
                torch.cuda.empty_cache()

    print(f"\n{args.steps} steps, batch {args.batch_size}, max length {args.max_length}")
    print(f"{'trainer':8} {'tokens/s':>12} {'s/step':>8} {'peak GiB':>9}")
    for r in results:
        peak = f"{r.peak_gib:9.1f}" if r.peak_gib is not None else f"{'-':>9}"
        print(f"{r.name:8} {r.tokens_per_s:12,.0f} {r.s_per_step:8.3f} {peak}")
    by_name = {r.name: r for r in results}
    print(f"ours / trl tokens/s: {by_name['ours'].tokens_per_s / by_name['trl'].tokens_per_s:.2f}x")


if __name__ == "__main__":
    main()
