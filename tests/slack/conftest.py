"""A real Bolt app behind the real HTTP server on 127.0.0.1, its Web API client pointed
at a local Slack API stub; requests are signed like Slack signs them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.advice.answer import Answer
from bot.config import Settings
from bot.slack.app import build_app
from bot.slack.server import SlackHTTPServer
from bot.slack.store import SlackStore
from bot.wiring import Services
from tests.conftest import TODAY
from tests.stubs.slack_api_stub import SlackStub, sign, slack_api_stub

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token-123"


@dataclass
class SlackRig:
    url: str
    stub: SlackStub
    store: SlackStore
    server: SlackHTTPServer
    app: Any

    def post(self, body: str, content_type: str, *, secret: str = SECRET,
             timestamp: int | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, str]:
        request = urllib.request.Request(
            self.url, data=body.encode(), method="POST",
            headers={"Content-Type": content_type, **sign(body, secret, timestamp),
                     **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def command(self, text: str, channel: str = "C1", user: str = "U1",
                response: str = "cmd", **kw: Any) -> tuple[int, str]:
        body = urllib.parse.urlencode({
            "token": "legacy", "team_id": "T1", "channel_id": channel, "user_id": user,
            "command": "/finetune", "text": text, "trigger_id": "t1",
            "response_url": self.stub.response_url(response)})
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any], event_id: str = "Ev1", **kw: Any) -> tuple[int, str]:
        body = json.dumps({
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})
        return self.post(body, "application/json", **kw)

    def action(self, payload: dict[str, Any], **kw: Any) -> tuple[int, str]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def posts(self, count: int = 1, timeout: float = 20) -> list[Any]:
        return self.stub.wait_for("chat.postMessage", count, timeout)


def slack_settings(data_dir: Path, stub: SlackStub, **extra: Any) -> Settings:
    return Settings(FT_DATA_DIR=data_dir, FT_TODAY=TODAY, SLACK_BOT_TOKEN=TOKEN,
                    SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=stub.base_url, **extra)


@contextmanager
def running_rig(data_dir: Path, answer: Callable[[list[str]], Answer], store_path: Path,
                checklist: Any = None, launcher: Any = None, baselines: Any = None,
                **settings: Any) -> Iterator[SlackRig]:
    """The app on a free port of 127.0.0.1, its Web API client on a fresh stub."""
    with slack_api_stub(bot_token=TOKEN) as stub:
        store = SlackStore(store_path)
        app = build_app(slack_settings(data_dir, stub, **settings), answer, store,
                        http_mode=True, checklist=checklist, launcher=launcher,
                        baselines=baselines)
        server = SlackHTTPServer(app, "127.0.0.1", 0)
        server.start_background()
        try:
            yield SlackRig(f"http://127.0.0.1:{server.port}/slack/events", stub, store,
                           server, app)
        finally:
            server.shutdown()
            server.server_close()
            store.close()


@pytest.fixture
def rig(services: Services, warm_data_dir: Path, tmp_path: Path) -> Iterator[SlackRig]:
    with running_rig(warm_data_dir, lambda turns: services.advisor.answer(turns),
                     tmp_path / "slack.sqlite3") as rig:
        yield rig


def mention(text: str, ts: str = "1700000001.000100", **extra: Any) -> dict[str, Any]:
    return {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts,
            "channel": "C1", "event_ts": ts, **extra}


def message(text: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": "U1", "text": text, "ts": ts, "channel": "C1",
            "channel_type": "channel", "event_ts": ts, **extra}


def eventually(check: Any, timeout: float = 5.0) -> bool:
    """Poll `check` until it is true (the bot finishes after the stub records a call)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def blocks_text(call: Any) -> str:
    return json.dumps(call.json_field("blocks"))


def verdict_of(call: Any) -> str:
    for block in call.json_field("blocks"):
        if block["type"] == "context":
            return str(block["elements"][0]["text"].split("`")[1])
    raise AssertionError("no verdict in the posted blocks")
