"""Checks user text before any work is done on it."""

from __future__ import annotations

from bot.errors import InputError

MAX_QUESTION_CHARS = 8_000


def clean_question(text: str) -> str:
    """The question, stripped; a clear `InputError` when it cannot be used."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        # Undecodable bytes arrive as lone surrogates (Python's surrogateescape).
        raise InputError("The question is not valid UTF-8 text; re-encode it as UTF-8.")
    text = text.replace("\x00", "").strip()
    if not text:
        raise InputError(
            'The question is empty. Ask something like: "Should we fine-tune a model '
            'to answer questions about our docs?"'
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(text):,} characters; the limit is "
            f"{MAX_QUESTION_CHARS:,}. Summarise it, or ask in parts."
        )
    return text
