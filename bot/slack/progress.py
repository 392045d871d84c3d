"""One thread message showing a long run's progress, edited in place with chat.update
when `interval_s` has passed or another `step` of the work is done since the last
edit: a handful of edits per run, never one per item."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.slack.threads import Thread

log = logging.getLogger(__name__)


class ProgressMessage:
    def __init__(self, thread: Thread, total: int, *, interval_s: float = 2.0,
                 step: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self._thread = thread
        self._interval_s = interval_s
        self._step = max(1.0, step * total)
        self._clock = clock
        self._done = 0
        self._at = clock()
        self.ts = thread.post(self.text(0, total))

    @staticmethod
    def text(done: int, total: int) -> str:
        return f"Answered {done:,} of {total:,} prompts ({done / max(total, 1):.0%})…"

    def __call__(self, done: int, total: int) -> None:
        """The runner's progress callback (done, total). The end is left to the
        caller's final `update`, which says how the run went."""
        now = self._clock()
        if done >= total or (done - self._done < self._step
                             and now - self._at < self._interval_s):
            return
        self._done, self._at = done, now
        self.update(self.text(done, total))

    def update(self, text: str) -> None:
        """Replace the message; a failure is logged, never raised (it is cosmetic)."""
        try:
            self._thread.client.chat_update(channel=self._thread.channel, ts=self.ts,
                                            text=text)
        except SlackApiError as exc:
            log.warning("updating the progress message failed: %s",
                        exc.response.get("error"))
