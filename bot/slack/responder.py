"""Answers a question in Slack and posts the result: shared by the slash command,
mentions, thread replies and DMs."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.advice.answer import Answer
from bot.errors import FtAdvisorError
from bot.slack.blocks import answer_messages, fallback_text, help_blocks, notice_blocks
from bot.slack.store import SlackStore

log = logging.getLogger(__name__)
WORKING_REACTION = "hourglass_flowing_sand"
APOLOGY = ("Sorry, something went wrong while answering. The team has the details in the "
           "logs; please try again in a minute.")
# Posting to a channel fails like this when the bot is not a member: use response_url.
NOT_POSTABLE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The message without the bot's own @mention."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return text.strip()


class Responder:
    """Answers on its own worker threads, so Bolt's listener threads only parse, claim
    and ack: a slow answer never delays the next request's 3-second ack. `answer` is
    the advisor in-process (tests, CLI) or a `ProcessAnswerer` (the server)."""

    def __init__(self, answer: Callable[[list[str]], Answer], store: SlackStore,
                 workers: int = 8) -> None:
        self._answer = answer
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="answer")
        # Calls that must happen within seconds (views.open: a trigger id expires after
        # 3 s) get their own threads, never queued behind slow answers or checklists.
        self._now = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ui")

    def submit(self, work: Callable[..., None], *args: Any) -> Future[None]:
        """Run `work` on the answer pool; failures are logged, never lost silently."""
        future = self._pool.submit(work, *args)
        future.add_done_callback(_log_failure)
        return future

    def submit_now(self, work: Callable[..., None], *args: Any) -> Future[None]:
        """Run a quick Slack call on its own small pool, straight after the ack."""
        future = self._now.submit(work, *args)
        future.add_done_callback(_log_failure)
        return future

    # -- answering -------------------------------------------------------------------
    def answer(self, turns: list[str]) -> Answer:
        return self._answer(turns)

    def post(self, client: Any, channel: str, thread_ts: str | None, answer: Answer,
             user: str, question: str | None = None) -> str:
        """Post the answer (several messages if long) and return the thread it lives in."""
        messages = answer_messages(answer, asked_by=user if question else None,
                                   question=question)
        first = client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                        text=fallback_text(answer), blocks=messages[0])
        root = thread_ts or first["ts"]
        for blocks in messages[1:]:
            client.chat_postMessage(channel=channel, thread_ts=root,
                                    text=fallback_text(answer), blocks=blocks)
        self._store.join_thread(channel, root)
        self._store.record_answer(answer.id, user, channel, root, answer.verdict,
                                  answer.headline)
        return str(root)

    def reply_in_thread(self, client: Any, channel: str, message_ts: str, thread_ts: str,
                        user: str, turns: list[str]) -> None:
        """Answer a mention, thread reply or DM, showing that the bot is working."""
        # Follow the thread from now on, so a quick follow-up is not missed while this
        # answer is still being posted.
        self._store.join_thread(channel, thread_ts)
        with self._working(client, channel, message_ts):
            try:
                answer = self.answer(turns)
            except FtAdvisorError as exc:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=str(exc),
                                        blocks=notice_blocks(str(exc)) + help_blocks())
                return
            except Exception:
                log.exception("answering failed (channel %s, ts %s)", channel, message_ts)
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=APOLOGY)
                return
            self.post(client, channel, thread_ts, answer, user)

    def answer_command(self, client: Any, respond: Callable[..., Any], channel: str,
                       user: str, question: str) -> None:
        """Answer a slash command in the channel (a new thread), or through the
        command's response_url where the bot cannot post."""
        try:
            answer = self.answer([question])
        except FtAdvisorError as exc:
            respond(text=str(exc), response_type="ephemeral")
            return
        except Exception:
            log.exception("answering a slash command failed (channel %s)", channel)
            respond(text=APOLOGY, response_type="ephemeral")
            return
        try:
            self.post(client, channel, None, answer, user, question=question)
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_POSTABLE:
                raise
            for blocks in answer_messages(answer, asked_by=user, question=question):
                respond(text=fallback_text(answer), blocks=blocks, response_type="in_channel",
                        replace_original=False)
            self._store.record_answer(answer.id, user, channel, None, answer.verdict,
                                      answer.headline)

    # -- the thread ------------------------------------------------------------------
    @staticmethod
    def thread_turns(client: Any, channel: str, thread_ts: str, upto_ts: str,
                     bot_user_id: str | None) -> list[str]:
        """The users' messages in a thread up to and including `upto_ts`, oldest
        first: the conversation the verdict engine reads."""
        turns: list[str] = []
        cursor = None
        while True:
            page = client.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                                cursor=cursor)
            for message in page.get("messages", []):
                if message.get("bot_id") or message.get("subtype"):
                    continue
                if message.get("user") == bot_user_id or float(message["ts"]) > float(upto_ts):
                    continue
                text = strip_mention(message.get("text", ""), bot_user_id)
                if text:
                    turns.append(text)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return turns

    @contextmanager
    def _working(self, client: Any, channel: str, ts: str) -> Iterator[None]:
        """A reaction on the user's message while the answer is being prepared."""
        added = _try(lambda: client.reactions_add(channel=channel, timestamp=ts,
                                                  name=WORKING_REACTION))
        try:
            yield
        finally:
            if added:
                _try(lambda: client.reactions_remove(channel=channel, timestamp=ts,
                                                     name=WORKING_REACTION))


def _log_failure(future: Future[None]) -> None:
    if future.exception() is not None:
        log.error("answer work failed", exc_info=future.exception())


def _try(call: Callable[[], Any]) -> bool:
    """Best effort for cosmetic calls: a failure is logged, never raised."""
    try:
        call()
        return True
    except SlackApiError as exc:
        log.warning("cosmetic Slack call failed: %s", exc.response.get("error"))
        return False
