"""Fine-tuning jobs: specs, backends (LoRA, OpenAI), the durable store and the watcher."""
