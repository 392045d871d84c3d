"""Builds the Bolt app: one Web API client with retries, listeners registered in one
place. Nothing here connects at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.advice.answer import Answer
from bot.config import Settings
from bot.errors import ConfigError
from bot.slack import actions, commands, events, jobs
from bot.slack.baseline import BaselineFlow
from bot.slack.checklist import ChecklistFlow
from bot.slack.groups import GroupMembership
from bot.slack.jobs import JobsFlow
from bot.slack.responder import Responder
from bot.slack.store import SlackStore

if TYPE_CHECKING:
    from bot.checklist.service import ChecklistService
    from bot.evaluation.store import BaselineStore
    from bot.jobs.launch import Launcher

DEFAULT_API_URL = "https://slack.com/api/"
# Builds the launch gate around a user-group membership check (Services.launcher).
LauncherFactory = Callable[[Callable[[str, str], bool]], "Launcher"]


def build_web_client(settings: Settings) -> WebClient:
    """Web API client honouring SLACK_API_URL, retrying connection errors, 429 (after
    Retry-After) and 5xx."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: add the bot token (xoxb-…) to the "
                          "environment or .env, then run `ft-advisor serve` again.")
    base_url = settings.slack_api_url or DEFAULT_API_URL
    client = WebClient(token=settings.slack_bot_token.get_secret_value(),
                       base_url=base_url if base_url.endswith("/") else base_url + "/")
    client.retry_handlers.extend([
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ])
    return client


def build_app(settings: Settings, answer: Callable[[list[str]], Answer], store: SlackStore,
              *, http_mode: bool, checklist: ChecklistService | None = None,
              launcher: LauncherFactory | None = None, baselines: BaselineStore | None = None,
              **app_options: Any) -> App:
    """The Bolt app. In HTTP mode requests must carry a valid signature. Without a
    `checklist`, `/finetune check` and `validate` say it is not configured; without a
    `launcher`, the Launch button and `/finetune launch | status | jobs | cancel` do;
    without `baselines`, `/finetune baseline` does."""
    secret = settings.slack_signing_secret
    if http_mode and secret is None:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET (Slack app › Basic "
                          "Information › Signing Secret); or set SLACK_APP_TOKEN for Socket Mode.")
    app = App(
        client=build_web_client(settings),
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=http_mode,
        # Listeners only parse, claim, ack and hand work to the Responder's pool, so they
        # can run on the request thread: no executor hop, no polling for the ack.
        process_before_response=True,
        **app_options,
    )
    responder = Responder(answer, store)
    flow = None
    if checklist is not None:
        flow = ChecklistFlow(checklist, settings, responder)
        flow.register(app)
    baseline = None
    if baselines is not None:
        baseline = BaselineFlow(baselines, settings, responder)
        baseline.register(app)
    job_flow = None
    if launcher is not None:
        job_flow = JobsFlow(launcher(GroupMembership(app.client)), responder)
    jobs.register(app, responder, job_flow)
    commands.register(app, responder, flow, job_flow, baseline)
    events.register(app, responder, store, job_flow.store if job_flow else None)
    actions.register(app, store)
    return app
