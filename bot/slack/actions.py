"""👍/👎 feedback on answers. The voter is taken from the verified payload only."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import FEEDBACK_ACTION
from bot.slack.store import SlackStore

log = logging.getLogger(__name__)


def register(app: App, store: SlackStore) -> None:
    @app.action(re.compile(rf"^{FEEDBACK_ACTION}_(up|down)$"))
    def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any) -> None:
        ack()
        user = body["user"]["id"]
        vote = action["action_id"].rsplit("_", 1)[1]
        try:
            value = json.loads(action.get("value") or "{}")
            answer_id, verdict = str(value["answer"]), str(value["verdict"])
        except (ValueError, KeyError, TypeError):
            log.warning("feedback click with an unreadable value ignored")
            return
        store.record_feedback(answer_id, user, vote, verdict)
        channel = (body.get("channel") or {}).get("id")
        if channel:
            try:
                client.chat_postEphemeral(channel=channel, user=user,
                                          text="Thanks — your feedback is recorded.")
            except SlackApiError as exc:
                log.warning("feedback acknowledgement failed: %s", exc.response.get("error"))
