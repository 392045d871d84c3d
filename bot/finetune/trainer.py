"""LoRA supervised fine-tuning of a causal LM on chat data: transformers' Trainer with a
PEFT adapter, assistant-only labels (`chat_data`), progress records (`progress`) and a
loss-curve PNG (`plot`). `train_lora` is the command-line entrypoint around `train`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedTokenizerBase,
    Trainer,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from bot.finetune.chat_data import IGNORE_INDEX, Chat, DataError, encode_all
from bot.finetune.plot import plot_loss_curve
from bot.finetune.progress import ProgressLog
from bot.jobs.spec import JobSpec


@dataclass(frozen=True)
class Precision:
    """Weights dtype and mixed-precision mode: bf16 where the GPU has it, fp16 on older
    GPUs (the LoRA weights stay float32), float32 on CPU."""

    dtype: torch.dtype
    bf16: bool = False
    fp16: bool = False

    @classmethod
    def for_this_machine(cls) -> Precision:
        if not torch.cuda.is_available():
            return cls(torch.float32)
        if torch.cuda.is_bf16_supported():
            return cls(torch.bfloat16, bf16=True)
        return cls(torch.float16, fp16=True)


class PadCollator:
    """Right-pads a batch to its longest example (to a multiple of 8 on GPU, for the
    tensor cores); padded label positions are IGNORE_INDEX."""

    def __init__(self, pad_token_id: int, multiple_of: int = 1) -> None:
        self.pad_token_id = pad_token_id
        self.multiple_of = multiple_of

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        longest = max(len(example["input_ids"]) for example in batch)
        width = -(-longest // self.multiple_of) * self.multiple_of
        ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, example in enumerate(batch):
            n = len(example["input_ids"])
            ids[row, :n] = torch.tensor(example["input_ids"])
            labels[row, :n] = torch.tensor(example["labels"])
            mask[row, :n] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


class ProgressCallback(TrainerCallback):
    """Writes a progress record per logging step and per evaluation (main process only),
    and keeps them for the loss curve."""

    def __init__(self, log: ProgressLog, examples: int, skipped: int) -> None:
        self.log = log
        self.examples = examples
        self.skipped = skipped
        self.history: list[dict[str, Any]] = []
        self.last_eval: tuple[int, float] | None = None  # (step, eval_loss)
        self._started = self._window_start = time.monotonic()
        self._window_tokens = 0

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kw: Any
    ) -> None:
        self._started = self._window_start = time.monotonic()
        self._window_tokens = state.num_input_tokens_seen
        if state.is_world_process_zero:
            self.log.write(
                {
                    "event": "start",
                    "total_steps": state.max_steps,
                    "examples": self.examples,
                    "skipped": self.skipped,
                }
            )

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kw: Any,
    ) -> None:
        if logs and "eval_loss" in logs:  # on every rank: all of them decide on a final eval
            self.last_eval = (state.global_step, logs["eval_loss"])
        if not state.is_world_process_zero or not logs:
            return
        record: dict[str, Any] = {
            "step": state.global_step,
            "total_steps": state.max_steps,
            "epoch": round(state.epoch, 4) if state.epoch is not None else None,
        }
        if "eval_loss" in logs:
            record["eval_loss"] = logs["eval_loss"]
        elif "loss" in logs:
            now, tokens = time.monotonic(), state.num_input_tokens_seen
            per_step = (now - self._started) / max(state.global_step, 1)
            record |= {
                "loss": logs["loss"],
                "learning_rate": logs.get("learning_rate"),
                "tokens_per_s": round(
                    (tokens - self._window_tokens) / (now - self._window_start), 1
                ),
                "eta_s": round(per_step * (state.max_steps - state.global_step), 1),
            }
            self._window_start, self._window_tokens = now, tokens
        else:
            return  # the end-of-training summary
        self.history.append(record)
        self.log.write(record)


def train(
    spec: JobSpec,
    train_chats: Sequence[Chat],
    valid_chats: Sequence[Chat] | None,
    output_dir: Path,
    log: ProgressLog,
    callbacks: Sequence[TrainerCallback] = (),
) -> dict[str, Any]:
    """Train the adapter; save checkpoints under output_dir/checkpoints, the adapter (and
    tokenizer) in output_dir/adapter and the loss curve; return the `done` record."""
    hp = spec.lora
    precision = Precision.for_this_machine()
    tokenizer = _load_tokenizer(spec.base_model)
    train_set, skipped = encode_all(tokenizer, train_chats, hp.max_seq_length)
    if not train_set:
        raise DataError("No training example has an assistant reply within max_seq_length.")
    valid_set = encode_all(tokenizer, valid_chats, hp.max_seq_length)[0] if valid_chats else None

    base = AutoModelForCausalLM.from_pretrained(spec.base_model, dtype=precision.dtype)
    base.config.use_cache = False
    lora = LoraConfig(
        r=hp.r,
        lora_alpha=hp.alpha,
        lora_dropout=hp.dropout,
        target_modules=hp.target_modules,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, lora)

    progress = ProgressCallback(log, examples=len(train_set), skipped=skipped)
    trainer = Trainer(
        model=model,
        args=_training_arguments(spec, output_dir, precision, has_eval=bool(valid_set)),
        train_dataset=train_set,  # a list of dicts: a map-style dataset
        eval_dataset=valid_set or None,
        data_collator=PadCollator(tokenizer.pad_token_id, 8 if torch.cuda.is_available() else 1),
        processing_class=tokenizer,
        callbacks=[progress, *callbacks],
    )
    metrics = trainer.train().metrics

    final_eval_loss = None
    if valid_set:
        last = progress.last_eval
        if last is not None and last[0] == trainer.state.global_step:
            final_eval_loss = last[1]
        else:
            final_eval_loss = trainer.evaluate()["eval_loss"]
    adapter = output_dir / "adapter"
    trainer.save_model(str(adapter))
    curve = output_dir / "loss_curve.png"
    if trainer.is_world_process_zero():
        plot_loss_curve(progress.history, curve, title=f"LoRA on {spec.base_model}")
    return {
        "event": "done",
        "trained_tokens": trainer.state.num_input_tokens_seen,
        "final_eval_loss": final_eval_loss,
        "train_runtime_s": round(metrics.get("train_runtime", 0.0), 2),
        "adapter": str(adapter),
        "loss_curve": str(curve),
    }


def _load_tokenizer(base_model: str) -> PreTrainedTokenizerBase:
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if not tokenizer.chat_template:
        raise DataError(f"The base model's tokenizer has no chat template: {base_model}")
    if not tokenizer.is_fast:
        raise DataError("Assistant-only masking needs a fast (Rust) tokenizer for the base model.")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _training_arguments(
    spec: JobSpec, output_dir: Path, precision: Precision, *, has_eval: bool
) -> TrainingArguments:
    hp = spec.lora
    if not has_eval:
        evaluate, save = "no", "epoch"
    elif hp.eval_steps:
        evaluate = save = "steps"
    else:
        evaluate = save = "epoch"
    on_gpu = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(output_dir / "checkpoints"),
        per_device_train_batch_size=hp.batch_size,
        per_device_eval_batch_size=hp.batch_size,
        gradient_accumulation_steps=hp.gradient_accumulation,
        learning_rate=hp.learning_rate,
        num_train_epochs=hp.epochs,
        max_steps=hp.max_steps or -1,
        lr_scheduler_type="cosine",
        warmup_steps=0.03,  # a fraction of the total steps
        seed=hp.seed,
        bf16=precision.bf16,
        fp16=precision.fp16,
        # GPU memory is the usual limit on a long max_seq_length; off on CPU, where it only slows.
        activation_checkpointing=on_gpu,
        activation_checkpointing_kwargs={"use_reentrant": False} if on_gpu else None,
        train_sampling_strategy="group_by_length",  # less padding
        eval_strategy=evaluate,
        eval_steps=hp.eval_steps,
        save_strategy=save,
        save_steps=hp.eval_steps or 500,  # read with the "steps" strategy only
        save_total_limit=2,
        logging_steps=0.01,  # a fraction: about 100 progress records per run
        include_num_input_tokens_seen="non_padding",
        remove_unused_columns=False,
        dataloader_pin_memory=on_gpu,
        disable_tqdm=True,
        report_to="none",
    )
