"""LoRA fine-tuning: the training entrypoint (`python -m bot.finetune.train_lora`) and the
runners that start it locally or on a Ray cluster (`bot.finetune.runners`).

Importing this package loads no model and no heavy library: `train_lora` and `predict`
import torch and transformers; the runners import only the standard library (and `ray`
lazily, when a RayRunner first talks to its cluster)."""
