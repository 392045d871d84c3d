"""Evaluation runner benchmark, run by hand (not part of the test suite):

    .venv/bin/python tests/perf/bench_eval.py [--examples 1000] [--latency-ms 20]
                                              [--concurrency 8] [--runs 1]

Starts the local chat-completions stub (tests/stubs/openai_stub.py) with an artificial
per-request latency, then sends the same held-out examples, side by side:

1. SEQUENTIAL: a plain loop of `client.chat.completions.create`, one after another;
2. `run_chat_model(..., concurrency=N)`: the evaluation runner.

It prints wall time and requests/s of each (best of `--runs`), the speed-up, the
stub's peak number of requests in flight, and the time to score and compare the
predictions (exact_match, 2,000 bootstrap resamples).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import openai

from bot.evaluation.compare import compare
from bot.evaluation.examples import HeldOutExample
from bot.evaluation.labels import ExactMatch
from bot.evaluation.runner import run_chat_model
from tests.stubs.openai_stub import completion, openai_stub

LABELS = ("billing", "refund", "outage", "account", "other")


def _examples(n: int) -> list[HeldOutExample]:
    return [
        HeldOutExample(
            prompt=[{"role": "system", "content": "Label the support ticket."},
                    {"role": "user", "content": f"Ticket {i}: my invoice looks wrong again."}],
            reference=LABELS[i % len(LABELS)],
        )
        for i in range(n)
    ]


def _sequential(examples: list[HeldOutExample], client: openai.OpenAI) -> list[str | None]:
    replies = []
    for example in examples:
        response = client.chat.completions.create(
            model="stub-model", messages=example.prompt, temperature=0  # type: ignore[arg-type]
        )
        replies.append(response.choices[0].message.content)
    return replies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    examples = _examples(args.examples)

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        time.sleep(args.latency_ms / 1000)
        ticket = int(body["messages"][-1]["content"].split()[1].rstrip(":"))
        return 200, completion(LABELS[ticket % len(LABELS)] if ticket % 7 else "billing")

    with openai_stub(reply) as stub:
        client = openai.OpenAI(base_url=stub.base_url, api_key="sk-bench", max_retries=0)
        _sequential(examples[:5], client)  # warm up the client and the server
        sequential_s, concurrent_s = float("inf"), float("inf")
        for _ in range(args.runs):
            started = time.perf_counter()
            sequential = _sequential(examples, client)
            sequential_s = min(sequential_s, time.perf_counter() - started)
            stub.max_in_flight = 0
            started = time.perf_counter()
            result = run_chat_model(examples, client=client, model="stub-model",
                                    concurrency=args.concurrency)
            concurrent_s = min(concurrent_s, time.perf_counter() - started)
        peak = stub.max_in_flight
    assert result.predictions == sequential, "the runner changed the order or the replies"

    started = time.perf_counter()
    comparison = compare(sequential, result.predictions, [e.reference for e in examples],
                         ExactMatch(), prompts=[e.prompt for e in examples])
    compare_s = time.perf_counter() - started

    n = len(examples)
    print(f"{n} held-out examples, stub latency {args.latency_ms:g} ms/request, "
          f"best of {args.runs} run(s)")
    print(f"{'':<26}{'wall s':>9}{'requests/s':>13}")
    print(f"{'sequential loop':<26}{sequential_s:>9.2f}{n / sequential_s:>13.1f}")
    print(f"{f'run_chat_model (c={args.concurrency})':<26}{concurrent_s:>9.2f}"
          f"{n / concurrent_s:>13.1f}")
    print(f"speed-up {sequential_s / concurrent_s:.1f}x; stub peak in flight {peak}; "
          f"failures {len(result.failures)}; ideal at this latency "
          f"{n * args.latency_ms / 1000 / args.concurrency:.2f} s")
    print(f"scoring + bootstrap + examples (compare) of {n}: {compare_s * 1000:.0f} ms "
          f"(verdict: {comparison.verdict})")


if __name__ == "__main__":
    main()
