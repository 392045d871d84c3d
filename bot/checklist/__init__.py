"""The pre-flight checklist: is a team ready to fine-tune, and what would it cost."""
