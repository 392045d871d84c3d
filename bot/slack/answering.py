"""Answers computed in a separate process for the Slack server.

The advisor's work is CPU-bound NumPy with Python glue, so in the server's own process
it holds the GIL and slows every request's ack (measured: ack p99 ~185 ms at 50
concurrent requests with a single answering thread, against ~45 ms for an app that only
acks). A worker process keeps the ack path free; the server process only acks, claims
and posts."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from bot.advice.answer import Answer
from bot.config import Settings

WORKER_NICENESS = 10
_services = None  # the worker process's own services


def _start_worker(settings: Settings) -> None:
    global _services
    from bot.wiring import build_services

    # Answers are background work; acks are what Slack times. Let the server's own
    # process win the CPU, and never outlive it.
    os.nice(WORKER_NICENESS)
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()

    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(levelname)s %(name)s[worker]: %(message)s")
    _services = build_services(settings)
    _services.warm_up()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _answer(turns: list[str]) -> Answer:
    assert _services is not None, "worker not initialised"
    return _services.advisor.answer(turns)


class ProcessAnswerer:
    """`answer(turns)` runs the advisor in `processes` worker processes (spawned, so no
    threads or open stores are inherited)."""

    def __init__(self, settings: Settings, processes: int = 1) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(settings,))

    def warm_up(self) -> None:
        """Start the worker and load its model now, before traffic arrives."""
        self._pool.submit(_answer, ["Should we fine-tune?"]).result()

    def __call__(self, turns: Sequence[str]) -> Answer:
        return self._pool.submit(_answer, list(turns)).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
