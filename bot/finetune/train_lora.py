"""Train a LoRA adapter for a job: `python -m bot.finetune.train_lora SPEC.json OUTPUT_DIR`.

SPEC.json is a `JobSpec` (backend "lora"); relative data paths are read from the current
directory. The base model and tokenizer load by hub name or local path; set
HF_HUB_OFFLINE=1 to forbid the network (the model must then be local or cached).

Writes to OUTPUT_DIR: progress.jsonl (see `bot.finetune.progress`; the same records go to
stdout prefixed with "FT-PROGRESS "), checkpoints/, adapter/ (adapter_config.json,
adapter_model.safetensors and the tokenizer) and loss_curve.png. Exit status 0 after a
`done` record, 1 after an `error` record.

Precision follows the hardware: bf16 where the GPU supports it, else fp16 on a GPU, float32
on CPU. Several GPUs on one machine, data-parallel (each GPU holds the whole model; the
batch size in the spec is per GPU, so the effective batch is batch_size x
gradient_accumulation x GPUs):

    accelerate launch --num_processes 4 -m bot.finetune.train_lora SPEC.json OUT
    torchrun --nproc_per_node 4 -m bot.finetune.train_lora SPEC.json OUT

Only the main process writes progress, the adapter and the plot. Several machines:
torchrun's --nnodes/--node_rank/--rdzv_endpoint with OUT on storage they all share.
"""

from __future__ import annotations

import argparse
import os
import traceback
from pathlib import Path

from bot.finetune.chat_data import DataError, read_chats
from bot.finetune.progress import ProgressLog
from bot.jobs.spec import JobSpec

_MESSAGE_LIMIT = 600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.finetune.train_lora")
    parser.add_argument("spec", type=Path, help="JobSpec JSON file")
    parser.add_argument("output_dir", type=Path)
    args = parser.parse_args(argv)

    output_dir = args.output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    is_main = os.environ.get("RANK", "0") == "0"
    log = ProgressLog(output_dir / "progress.jsonl", echo=is_main)
    try:
        spec = JobSpec.model_validate_json(args.spec.read_text(encoding="utf-8"))
        if spec.backend != "lora":
            raise DataError(f"This entrypoint trains LoRA jobs, not {spec.backend!r} ones.")
        _check_base_model(spec.base_model)
        train_chats = read_chats(spec.training_file.path, spec.training_file.sha256)
        valid = spec.validation_file
        valid_chats = read_chats(valid.path, valid.sha256, what="validation") if valid else None

        from bot.finetune.trainer import train  # torch and transformers: after the cheap checks

        done = train(spec, train_chats, valid_chats, output_dir, log)
    except Exception as exc:
        traceback.print_exc()
        if is_main:
            log.write({"event": "error", "message": plain_message(exc)})
        return 1
    if is_main:
        log.write(done)
    return 0


def _check_base_model(base_model: str) -> None:
    """A local path must exist (a hub name is checked when it loads)."""
    if base_model.startswith((".", "/", "~")) and not Path(base_model).expanduser().exists():
        raise DataError(f"The base model was not found: {base_model}")


def plain_message(exc: BaseException) -> str:
    """One short line for users: our own errors as they are, others with their type."""
    text = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


if __name__ == "__main__":
    raise SystemExit(main())
