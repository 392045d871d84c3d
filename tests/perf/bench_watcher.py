"""Watcher overhead benchmark, run by hand (not part of the test suite):

    .venv/bin/python tests/perf/bench_watcher.py [--jobs 1000] [--cycles 3]

Seeds N running jobs at the local OpenAI fine-tuning stub and in a SQLite job store,
then runs poll cycles of the real watcher (real OpenAI backend through the SDK, real
Slack notifier through slack_sdk against the Slack API stub). Per cycle it prints wall
time, this process's CPU time, HTTP calls to the fine-tuning API and Slack calls. The
first cycle posts one progress message per job (their progress is new); after that
nothing changes, so a cycle must make no Slack call at all. The CPU time includes the
two stubs' server threads, which run in this process: it overstates the watcher."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import tempfile
import time
from pathlib import Path

import openai
from slack_sdk import WebClient

from bot.db import database_url, open_engine
from bot.jobs.openai_backend import OpenAIBackend
from bot.jobs.slack_notifier import SlackNotifier
from bot.jobs.spec import DataFile, JobSpec
from bot.jobs.store import JobStore
from bot.jobs.watcher import Watcher
from tests.stubs.openai_ft_stub import fine_tuning_stub
from tests.stubs.slack_api_stub import slack_api_stub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fine_tuning_stub() as ft, \
            slack_api_stub() as slack:
        root = Path(tmp)
        data = root / "train.jsonl"
        data.write_text('{"messages": []}\n')
        sha = hashlib.sha256(data.read_bytes()).hexdigest()
        store = JobStore(open_engine(database_url(None, root)))
        for i in range(args.jobs):
            launch_id = f"bench-{i:06d}"
            external = ft.seed_job(launch_id, status="running")
            job, _ = store.claim(JobSpec(
                launch_id=launch_id, backend="openai", base_model="gpt-4o-mini-2024-07-18",
                training_file=DataFile(path=data, sha256=sha), channel="C1",
                thread_ts=f"{1000 + i}.0001"))
            store.set_external_id(job.id, external)
        client = openai.OpenAI(api_key="sk-bench", base_url=ft.base_url, max_retries=0)
        backend = OpenAIBackend(client, lambda: dt.date(2026, 11, 28))
        notifier = SlackNotifier(WebClient(token="xoxb-bench", base_url=slack.base_url), store)
        watcher = Watcher(store, lambda _: backend, notifier, interval_s=0)
        print(f"{args.jobs} active jobs")
        print(f"{'cycle':>5} {'wall s':>8} {'cpu s':>8} {'cpu ms/job':>10} {'API calls':>10} "
              f"{'Slack calls':>12} {'changed':>8}")
        for cycle in range(1, args.cycles + 1):
            api_before, slack_before = len(ft.requests), len(slack.calls())
            wall, cpu = time.perf_counter(), time.process_time()
            changed = watcher.poll_once(force=True)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"{cycle:>5} {wall:>8.2f} {cpu:>8.2f} {1000 * cpu / args.jobs:>10.2f} "
                  f"{len(ft.requests) - api_before:>10} {len(slack.calls()) - slack_before:>12} "
                  f"{changed:>8}")


if __name__ == "__main__":
    main()
