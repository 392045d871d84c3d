"""run_chat_model against the local chat-completions stub: bounded concurrency, input
order, 429 handling, malformed replies, the system prompt; and run_predictor."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.evaluation.client import chat_client
from bot.evaluation.examples import HeldOutExample, Message
from bot.evaluation.json_fields import JsonFields
from bot.evaluation.predictor import run_predictor
from bot.evaluation.retries import is_retryable, retry_delay_s, server_wait_s
from bot.evaluation.runner import run_chat_model
from tests.stubs.openai_stub import completion, openai_stub


def _examples(n: int, system: str | None = "You label tickets.") -> list[HeldOutExample]:
    head: list[Message] = [{"role": "system", "content": system}] if system else []
    return [HeldOutExample(prompt=[*head, {"role": "user", "content": f"ticket {i}"}],
                           reference=f"label {i}") for i in range(n)]


def _client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-test", timeout=10)


def _ticket(body: dict[str, Any]) -> int:
    return int(body["messages"][-1]["content"].split()[-1])


def test_order_is_kept_with_eight_requests_in_flight() -> None:
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        time.sleep(random.uniform(0.01, 0.05))  # replies finish out of order
        return 200, completion(f"answer {_ticket(body)}")

    seen: list[tuple[int, int]] = []
    with openai_stub(reply) as stub:
        result = run_chat_model(_examples(40), client=_client(stub.base_url), model="m",
                                concurrency=8, progress=lambda d, t: seen.append((d, t)))
    assert result.predictions == [f"answer {i}" for i in range(40)]
    assert 1 < stub.max_in_flight <= 8
    assert result.failures == [] and result.rate_limited == 0
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (400, 400)
    assert seen == [(i, 40) for i in range(1, 41)]
    assert {r["model"] for r in stub.requests} == {"m"}
    assert {r["temperature"] for r in stub.requests} == {0}


def test_429_waits_for_retry_after_then_succeeds() -> None:
    lock, refused = threading.Lock(), set()

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        ticket = _ticket(body)
        with lock:
            first = ticket == 3 and ticket not in refused
            refused.add(ticket)
        if first:
            return 429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "1"}
        return 200, completion(f"answer {ticket}"), {}

    with openai_stub(reply) as stub:
        started = time.perf_counter()
        result = run_chat_model(_examples(6), client=_client(stub.base_url), model="m",
                                concurrency=8)
        elapsed = time.perf_counter() - started
    assert result.predictions == [f"answer {i}" for i in range(6)]
    assert result.rate_limited == 1 and result.failures == []
    assert len(stub.requests) == 7  # one retry, by the runner (SDK retries are off)
    assert elapsed >= 1.0


def test_persistent_429_becomes_a_failure_after_max_retries() -> None:
    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 429, {"error": {"message": "slow down"}}, {"retry-after-ms": "10"}

    with openai_stub(reply) as stub:
        result = run_chat_model(_examples(2), client=_client(stub.base_url), model="m",
                                max_retries=2)
    assert result.predictions == [None, None]
    assert len(stub.requests) == 6 and result.rate_limited == 4
    assert [f.reason for f in result.failures] == ["Error code: 429 - slow down"] * 2


def test_malformed_replies_are_counted_not_fatal() -> None:
    replies: dict[int, tuple[int, Any]] = {
        0: (200, completion("")),
        1: (200, {"choices": []}),
        2: (200, "not a completion"),
        3: (400, {"error": {"message": "context too long"}}),
        4: (200, completion("Sure! Here is the JSON you asked for.")),
        5: (200, completion('{"label": "billing"}')),
    }
    with openai_stub(lambda body: replies[_ticket(body)]) as stub:
        result = run_chat_model(_examples(6), client=_client(stub.base_url), model="m")
    assert result.predictions[:4] == [None] * 4
    reasons = [f.reason for f in result.failures]
    assert reasons[:3] == ["empty reply", "malformed response (no choices)",
                           "malformed response (no choices)"]
    assert reasons[3].startswith("Error code: 400")
    assert len(stub.requests) == 6  # a 400 is not retried
    # The non-JSON reply for a JSON task fails in scoring, not in the run.
    scored = JsonFields().evaluate(result.predictions, ['{"label": "billing"}'] * 6)
    assert scored.failures == 5 and scored.scores == [0, 0, 0, 0, 0, 1]


def test_system_prompt_replaces_or_adds_the_system_message() -> None:
    with openai_stub(lambda body: (200, completion("ok"))) as stub:
        examples = _examples(2) + _examples(1, system=None)
        run_chat_model(examples, client=_client(stub.base_url), model="m",
                       system_prompt="Team prompt.", concurrency=1)
        run_chat_model(examples[:1], client=_client(stub.base_url), model="m", concurrency=1)
    sent = [r["messages"] for r in stub.requests]
    for messages in sent[:3]:
        assert messages[0] == {"role": "system", "content": "Team prompt."}
        assert [m["role"] for m in messages] == ["system", "user"]
    assert sent[3][0] == {"role": "system", "content": "You label tickets."}


def test_bad_credentials_stop_the_run() -> None:
    with openai_stub(lambda body: (401, {"error": {"message": "bad key"}})) as stub, \
            pytest.raises(ConfigError, match="401"):
        run_chat_model(_examples(20), client=_client(stub.base_url), model="m")
    assert len(stub.requests) < 20


def _errors(cases: list[tuple[int, dict[str, str]]]) -> list[openai.APIStatusError]:
    """The SDK's own exceptions for these (status, headers) responses, one request each."""
    queue = list(cases)

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, headers = queue.pop(0)
        return status, {"error": {"message": "no"}}, headers

    errors = []
    with openai_stub(reply) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="sk-test", max_retries=0)
        for _ in cases:
            with pytest.raises(openai.APIStatusError) as raised:
                client.chat.completions.create(model="m", messages=[{"role": "user",
                                                                     "content": "hi"}])
            errors.append(raised.value)
    return errors


def test_retry_after_forms_and_backoff() -> None:
    seconds, millis, date, garbage, unavailable, bad, long = _errors([
        (429, {"Retry-After": "3"}),
        (429, {"retry-after-ms": "250", "Retry-After": "1"}),
        (429, {"Retry-After": "Thu, 01 Jan 2026 12:00:07 GMT"}),
        (429, {"Retry-After": "soon"}),
        (503, {}),
        (400, {}),
        (429, {"Retry-After": "3600"}),
    ])
    assert server_wait_s(seconds) == 3.0
    assert server_wait_s(millis) == 0.25
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert server_wait_s(date, now=now) == 7.0
    assert server_wait_s(garbage) is None
    assert is_retryable(unavailable) and is_retryable(seconds) and not is_retryable(bad)
    waits = [retry_delay_s(unavailable, attempt) for attempt in range(12)]
    assert 0.25 <= waits[0] <= 0.5 and waits[3] <= 4.0 and max(waits) == 60.0
    assert retry_delay_s(long, 0) == 60.0


class EchoPredictor:
    """Stands in for a LoRA adapter on a local base model."""

    def predict(self, prompts: list[list[Message]]) -> list[str]:
        return ["" if "ticket 1" in p[-1]["content"] else p[0]["content"] for p in prompts]


def test_run_predictor_wraps_any_predictor() -> None:
    result = run_predictor(EchoPredictor(), _examples(3), system_prompt="Team prompt.")
    assert result.predictions == ["Team prompt.", None, "Team prompt."]
    assert [(f.index, f.reason) for f in result.failures] == [(1, "empty reply")]


def test_chat_client_from_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        chat_client(Settings(FT_DATA_DIR=tmp_path, OPENAI_API_KEY=None, OPENAI_BASE_URL=None))
    with openai_stub(lambda body: (200, completion("billing"))) as stub:
        settings = Settings(FT_DATA_DIR=tmp_path, OPENAI_API_KEY=None,
                            OPENAI_BASE_URL=stub.base_url)
        client = chat_client(settings)
        result = run_chat_model(_examples(1), client=client, model="local")
    assert result.predictions == ["billing"] and client.max_retries == 0
    headers = {k.lower(): v for k, v in stub.headers[0].items()}
    assert headers["authorization"] == "Bearer not-needed"
