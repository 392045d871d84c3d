"""What to train, with what, for whom: a `JobSpec` is fixed at launch and stored
with the job. Presets give sensible hyperparameters per backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoraHyperparameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, le=512)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    learning_rate: float = Field(2e-4, gt=0, lt=1)
    epochs: float = Field(3, gt=0, le=50)
    max_seq_length: int = Field(4096, ge=16)
    batch_size: int = Field(4, ge=1)
    gradient_accumulation: int = Field(4, ge=1)
    max_steps: int | None = Field(None, ge=1)  # overrides epochs (smoke tests, budgets)
    eval_steps: int | None = Field(None, ge=1)  # default: once per epoch
    seed: int = 42


class OpenAIHyperparameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["supervised", "dpo"] = "supervised"
    n_epochs: int | Literal["auto"] = "auto"
    batch_size: int | Literal["auto"] = "auto"
    learning_rate_multiplier: float | Literal["auto"] = "auto"
    beta: float | Literal["auto"] | None = None  # DPO only
    suffix: str | None = Field(None, max_length=64)


class DataFile(BaseModel):
    path: Path
    sha256: str


class JobSpec(BaseModel):
    """A launch request, complete: everything a backend needs and who asked."""

    model_config = ConfigDict(extra="forbid")

    launch_id: str = Field(min_length=8, max_length=64)  # idempotency key
    backend: Literal["lora", "openai"]
    base_model: str  # hub name or local path (LoRA) / OpenAI model snapshot
    training_file: DataFile
    validation_file: DataFile | None = None
    lora: LoraHyperparameters = Field(default_factory=LoraHyperparameters)
    openai: OpenAIHyperparameters = Field(default_factory=OpenAIHyperparameters)
    checklist_id: str | None = None
    requested_by: str | None = None  # Slack user id (from the verified payload) or local:USER
    channel: str | None = None
    thread_ts: str | None = None


PRESETS: dict[str, dict[str, object]] = {
    # LoRA presets. "balanced" is the default above; "small-data" regularises more for
    # a few hundred examples; "quick" is a short smoke run of the pipeline. None changes
    # the epochs: those come from the checklist's cost estimate, which the budget
    # check approved.
    "balanced": {},
    "small-data": {"r": 8, "alpha": 16, "dropout": 0.1, "learning_rate": 1e-4},
    "quick": {"max_steps": 20, "eval_steps": 10},
}
