"""Socket Mode through Bolt's socket-mode request path, and `ft-advisor serve` as a
real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.app import build_app
from bot.slack.store import SlackStore
from bot.wiring import Services
from tests.conftest import TODAY, free_port, wait_until_serving
from tests.slack.conftest import SECRET, TOKEN, mention, slack_settings, verdict_of
from tests.stubs.slack_api_stub import sign, slack_api_stub

pytestmark = pytest.mark.slow


def test_socket_mode_requests(services: Services, warm_data_dir: Path, tmp_path: Path) -> None:
    with slack_api_stub() as stub:
        settings = slack_settings(warm_data_dir, stub)
        app = build_app(settings, services.advisor.answer, SlackStore(tmp_path / "s.db"),
                        http_mode=False)
        handler = SocketModeHandler(app, "xapp-test", web_client=app.client)
        acks: list[Any] = []
        handler.client.send_socket_mode_response = acks.append  # type: ignore[method-assign]
        event = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                 "event_id": "EvS", "event_time": 1,
                 "event": mention("Should we fine-tune so it knows our wiki?")}
        handler.handle(handler.client, SocketModeRequest(type="events_api", envelope_id="env-1",
                                                         payload=event))
        command = {"command": "/finetune", "text": "help", "user_id": "U1", "channel_id": "C1",
                   "team_id": "T1", "response_url": stub.response_url("sm")}
        handler.handle(handler.client, SocketModeRequest(type="slash_commands",
                                                         envelope_id="env-2", payload=command))
        post = stub.wait_for("chat.postMessage")[0]
        assert verdict_of(post) == "rag"
        assert [a.envelope_id for a in acks] == ["env-1", "env-2"]
        assert "/finetune ask" in json.dumps(acks[1].payload)


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPENAI_"))}
    return {**env, "FT_DATA_DIR": str(data_dir), "FT_TODAY": TODAY.isoformat(), **extra}


def test_serve_over_http(warm_data_dir: Path) -> None:
    with slack_api_stub() as stub:
        port = free_port()
        proc = _serve(port, _env(warm_data_dir, SLACK_BOT_TOKEN=TOKEN,
                                 SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=stub.base_url))
        try:
            _wait_healthy(port, proc)
            body = urllib.parse.urlencode({
                "command": "/finetune", "text": "should we fine-tune on our wiki?",
                "user_id": "U1", "channel_id": "C1", "team_id": "T1",
                "response_url": stub.response_url("x")})
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         **sign(body, SECRET)})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            assert verdict_of(stub.wait_for("chat.postMessage", timeout=30)[0]) == "rag"
        finally:
            proc.terminate()
            _, stderr = proc.communicate(timeout=20)
        assert TOKEN.encode() not in stderr and SECRET.encode() not in stderr


def test_socket_mode_still_answers_health_checks(warm_data_dir: Path) -> None:
    with slack_api_stub() as stub:
        port = free_port()
        proc = _serve(port, _env(warm_data_dir, SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN="xapp-1",
                                 SLACK_API_URL=stub.base_url))
        try:
            _wait_healthy(port, proc)
            request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events",
                                             data=b"{}", method="POST")
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(request, timeout=5)
            assert error.value.code == 404  # no unsigned event door in Socket Mode
        finally:
            proc.terminate()
            proc.communicate(timeout=20)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"SLACK_BOT_TOKEN": TOKEN}, b"HTTP mode needs SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": SECRET}, b"SLACK_BOT_TOKEN is not set"),
    ],
)
def test_serve_refuses_incomplete_settings(tmp_path: Path, extra: dict[str, str],
                                           message: bytes) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "serve", "--port", str(free_port())],
                            env=_env(tmp_path, **extra), capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert message in result.stderr and b"Traceback" not in result.stderr
