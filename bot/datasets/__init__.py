"""Fine-tuning datasets: a streaming, parallel validator (`validate.validate_dataset`),
exact token counts (`tokens`), per-example format checks (`formats`), the report
(`report`) and a deterministic, duplicate-safe held-out split (`split`)."""
