"""Ack latency of `/finetune ask` in HTTP mode, run by hand:

    .venv/bin/python tests/perf/bench_slack_ack.py [--total 500] [--concurrency 50]

Side by side in one run: `ft-advisor serve` (real advisor, real store) and a minimal
Bolt app that only acks, both as separate processes behind the same kind of server,
both talking to a local Slack API stub in this process. Reports ack p50/p99 for each,
their ratio, end-to-end answer latency (request sent -> chat.postMessage received), and
lost or duplicated answers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from tests.conftest import free_port
from tests.stubs.slack_api_stub import sign, slack_api_stub

SECRET = "bench-secret"
MINIMAL_APP = textwrap.dedent("""
    import sys
    from slack_bolt import App
    from slack_sdk import WebClient
    from bot.slack.server import SlackHTTPServer
    app = App(client=WebClient(token="xoxb-bench", base_url=sys.argv[2]),
              signing_secret=sys.argv[3])
    @app.command("/finetune")
    def ack_only(ack):
        ack()
    SlackHTTPServer(app, "127.0.0.1", int(sys.argv[1])).serve_forever()
""")


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _load(port: int, response_url: str, total: int, concurrency: int, tag: str
          ) -> tuple[list[float], dict[str, float]]:
    """Runs in its own process, so the stub's work does not slow the client's clock."""
    sent: dict[str, float] = {}

    def one(i: int) -> float:
        question = f"[{tag}-{i}] Should we fine-tune so the model knows our wiki?"
        body = urllib.parse.urlencode({
            "command": "/finetune", "text": question, "user_id": "U1", "channel_id": "C1",
            "team_id": "T1", "response_url": response_url})
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body, SECRET)})
        start = time.perf_counter()
        sent[f"{tag}-{i}"] = time.time()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            assert response.status == 200
        return (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(total))), sent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, slack_api_stub() as stub:
        env = {**os.environ, "FT_DATA_DIR": str(Path(tmp) / "data"),
               "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": stub.base_url, "FT_LOG_LEVEL": "ERROR"}
        env.pop("SLACK_APP_TOKEN", None)
        ours_port, minimal_port = free_port(), free_port()
        ours = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                                 "--port", str(ours_port)], env=env,
                                stderr=subprocess.DEVNULL)
        minimal = subprocess.Popen([sys.executable, "-c", MINIMAL_APP, str(minimal_port),
                                    stub.base_url, SECRET], env=env, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy(ours_port)
            _wait_healthy(minimal_port)
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as load:
                url = stub.response_url("bench")
                minimal_ms, _ = load.submit(_load, minimal_port, url, args.total,
                                            args.concurrency, "min").result()
                stub.clear()
                ours_ms, sent = load.submit(_load, ours_port, url, args.total,
                                            args.concurrency, "ours").result()
            posts = stub.wait_for("chat.postMessage", args.total, timeout=600)
            time.sleep(2)
            posts = stub.calls("chat.postMessage")
        finally:
            ours.terminate()
            minimal.terminate()
    seen: Counter[str] = Counter()
    e2e = []
    for post in posts:
        text = json.dumps(post.params.get("blocks"))
        key = re.search(r"\[(ours-\d+)\]", text).group(1)  # type: ignore[union-attr]
        seen[key] += 1
        e2e.append((post.at - sent[key]) * 1000)
    result = {
        "requests": args.total, "concurrency": args.concurrency,
        "ack_ms_ours": {"p50": statistics.median(ours_ms), "p99": _pct(ours_ms, 0.99)},
        "ack_ms_minimal": {"p50": statistics.median(minimal_ms), "p99": _pct(minimal_ms, 0.99)},
        "p99_ratio": _pct(ours_ms, 0.99) / _pct(minimal_ms, 0.99),
        "answer_end_to_end_ms": {"p50": statistics.median(e2e), "p99": _pct(e2e, 0.99)},
        "answers_lost": args.total - len(seen),
        "answers_duplicated": sum(n - 1 for n in seen.values() if n > 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
