"""Which API errors are worth retrying, and how long to wait before the next try.

The runner turns the SDK's own retries off and applies this policy itself, so the
behaviour is visible and tested: 408, 409, 429, 5xx and connection errors are retried;
the wait is the server's `retry-after-ms` / `Retry-After` (seconds or an HTTP date)
when it sends one, else exponential backoff with jitter; waits are capped."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import openai

BASE_DELAY_S = 0.5
MAX_DELAY_S = 60.0
RETRYABLE_STATUS = frozenset({408, 409, 429})
FATAL = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)


def is_retryable(exc: openai.APIError) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    return isinstance(exc, openai.APIStatusError) and (
        exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    )


def server_wait_s(exc: openai.APIError, now: dt.datetime | None = None) -> float | None:
    """The wait the server asked for, in seconds, or None when it asked for none."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.UTC)
    return max(0.0, (date - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def retry_delay_s(exc: openai.APIError, attempt: int) -> float:
    """The wait before retry number `attempt + 1` (attempt counts from 0)."""
    asked = server_wait_s(exc)
    if asked is None:
        asked = BASE_DELAY_S * 2**attempt * random.uniform(0.5, 1.0)
    return min(asked, MAX_DELAY_S)
