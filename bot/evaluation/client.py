"""The chat client evaluation runs use, from the settings (OPENAI_API_KEY and/or
OPENAI_BASE_URL for an OpenAI-compatible server). Built on demand, never at import."""

from __future__ import annotations

import openai

from bot.config import Settings
from bot.errors import ConfigError


def chat_client(settings: Settings) -> openai.OpenAI:
    """An OpenAI client for the configured endpoint, with the SDK's retries off (the
    runner retries itself). Raises ConfigError when no endpoint is configured."""
    if not settings.uses_llm:
        raise ConfigError("Running a model on the held-out set needs OPENAI_API_KEY, or "
                          "OPENAI_BASE_URL for an OpenAI-compatible server.")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return openai.OpenAI(
        api_key=key or "not-needed",  # local OpenAI-compatible servers ignore the key
        base_url=settings.openai_base_url,  # None: the SDK's default endpoint
        timeout=settings.llm_timeout_s,
        max_retries=0,
    )
