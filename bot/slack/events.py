"""Mentions, thread replies and DMs. One answer per user message, however many times
Slack delivers it (an @mention arrives as `app_mention` and as `message`; slow
deliveries are retried): the message is claimed in the store before any work."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.slack.blocks import HOME_JOBS, home_view
from bot.slack.responder import Responder, strip_mention
from bot.slack.store import SlackStore

if TYPE_CHECKING:
    from bot.jobs.store import JobStore

log = logging.getLogger(__name__)


def register(app: App, responder: Responder, store: SlackStore,
             jobs: JobStore | None = None) -> None:
    def handle(event: dict[str, Any], client: Any, bot_user_id: str | None) -> None:
        channel, ts = event["channel"], event["ts"]
        if not store.claim(f"message:{channel}:{ts}"):
            log.info("duplicate delivery ignored (channel %s, ts %s)", channel, ts)
            return
        responder.submit(answer, event, client, bot_user_id)

    def answer(event: dict[str, Any], client: Any, bot_user_id: str | None) -> None:
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts") or ts
        if event.get("thread_ts"):
            turns = responder.thread_turns(client, channel, thread_ts, ts, bot_user_id)
        else:
            turns = [strip_mention(event.get("text", ""), bot_user_id)]
        turns = [t for t in turns if t] or [""]
        responder.reply_in_thread(client, channel, ts, thread_ts, event.get("user", ""), turns)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: Any, context: Any) -> None:
        handle(event, client, context.bot_user_id)

    @app.event("message")
    def on_message(event: dict[str, Any], client: Any, context: Any) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, other bots (and ourselves)
        if event.get("user") == context.bot_user_id:
            return
        in_dm = event.get("channel_type") == "im"
        thread_ts = event.get("thread_ts")
        if in_dm or (thread_ts and store.in_thread(event["channel"], thread_ts)):
            handle(event, client, context.bot_user_id)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: Any) -> None:
        if event.get("tab") == "home":
            user = event["user"]
            recent_jobs = jobs.recent(HOME_JOBS, requested_by=user) if jobs else []
            client.views_publish(user_id=user,
                                 view=home_view(store.recent_answers(user), recent_jobs))
