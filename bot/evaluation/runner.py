"""Runs held-out prompts through an OpenAI-compatible chat endpoint, several at once.

Each request is retried by `bot.evaluation.retries` (the SDK's own retries are off);
a reply that is empty, refused or malformed is recorded as a failure (prediction None,
scored 0) and the run goes on. Authentication, permission and unknown-model errors
stop the run with a ConfigError: every other request would fail the same way."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import openai

from bot.errors import ConfigError
from bot.evaluation.examples import HeldOutExample, Message, with_system_prompt
from bot.evaluation.retries import FATAL, is_retryable, retry_delay_s

Progress = Callable[[int, int], None]  # (done, total), called from the calling thread
DEFAULT_MAX_RETRIES = 6


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class RunFailure:
    index: int  # position in the input
    reason: str


@dataclass
class RunResult:
    """Predictions in input order (None: no usable reply) and what the run cost."""

    predictions: list[str | None]
    usage: Usage = field(default_factory=Usage)
    failures: list[RunFailure] = field(default_factory=list)
    rate_limited: int = 0  # 429 responses waited out
    wall_s: float = 0.0


@dataclass(frozen=True)
class _Reply:
    text: str | None
    reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rate_limited: int = 0


def run_chat_model(
    examples: Sequence[HeldOutExample],
    *,
    client: openai.OpenAI,
    model: str,
    system_prompt: str | None = None,
    concurrency: int = 8,
    max_retries: int = DEFAULT_MAX_RETRIES,
    progress: Progress | None = None,
    params: dict[str, Any] | None = None,
) -> RunResult:
    """Send every example's prompt (with `system_prompt` in place of its own system
    messages, when given) to `model`, at most `concurrency` requests at a time.
    `params` are extra request fields (default: temperature 0)."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    prompts = [with_system_prompt(e.prompt, system_prompt) for e in examples]
    plain = client.with_options(max_retries=0)
    request = {"temperature": 0, **(params or {})}
    started = time.perf_counter()
    replies: dict[int, _Reply] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
        futures = {
            pool.submit(_complete, plain, model, prompt, request, max_retries): i
            for i, prompt in enumerate(prompts)
        }
        try:
            for done, future in enumerate(as_completed(futures), 1):
                replies[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(prompts))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # a fatal error, or Ctrl-C: send no more
            raise
    ordered = [replies[i] for i in range(len(prompts))]
    return _result(ordered, time.perf_counter() - started)


def _complete(
    client: openai.OpenAI,
    model: str,
    messages: list[Message],
    request: dict[str, Any],
    max_retries: int,
) -> _Reply:
    waited = 0
    for attempt in range(max_retries + 1):
        try:
            response = client.chat.completions.create(
                model=model, messages=messages, **request  # type: ignore[arg-type]
            )
        except FATAL as exc:
            raise ConfigError(f"The chat endpoint refused requests for '{model}': "
                              f"{exc.message}. Check the API key, the base URL and the "
                              "model name.") from exc
        except openai.APIError as exc:
            if not is_retryable(exc) or attempt == max_retries:
                return _Reply(None, _describe(exc), rate_limited=waited)
            waited += isinstance(exc, openai.RateLimitError)
            time.sleep(retry_delay_s(exc, attempt))
            continue
        return _read(response, waited)
    raise AssertionError("unreachable")  # the last attempt returns


def _read(response: Any, waited: int) -> _Reply:
    """The reply text and usage of a chat completion, tolerating malformed bodies."""
    usage = getattr(response, "usage", None)
    prompt_tokens = _int(getattr(usage, "prompt_tokens", 0))
    completion_tokens = _int(getattr(usage, "completion_tokens", 0))

    def reply(text: str | None, reason: str = "") -> _Reply:
        return _Reply(text, reason, prompt_tokens, completion_tokens, waited)

    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return reply(None, "malformed response (no choices)")
    text = getattr(message, "content", None)
    if isinstance(text, str) and text.strip():
        return reply(text)
    return reply(None, "refused" if getattr(message, "refusal", None) else "empty reply")


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _describe(exc: openai.APIError) -> str:
    """"Error code: 429 - ..." for HTTP errors (the SDK's wording), else the error type."""
    if isinstance(exc, openai.APIStatusError):
        return exc.message
    return f"{type(exc).__name__}: {exc.message}"


def _result(replies: list[_Reply], wall_s: float) -> RunResult:
    return RunResult(
        predictions=[r.text for r in replies],
        usage=Usage(sum(r.prompt_tokens for r in replies),
                    sum(r.completion_tokens for r in replies)),
        failures=[RunFailure(i, r.reason) for i, r in enumerate(replies) if r.text is None],
        rate_limited=sum(r.rate_limited for r in replies),
        wall_s=wall_s,
    )
