"""The "lora" backend: LocalRunner (subprocesses on this machine) and RayRunner (jobs on
a Ray cluster), both implementing `bot.jobs.backend.Backend` around the same training
entrypoint, `python -m bot.finetune.train_lora SPEC.json OUTPUT_DIR`."""

from bot.finetune.runners.local import LocalRunner
from bot.finetune.runners.ray_jobs import RayRunner

__all__ = ["LocalRunner", "RayRunner"]
