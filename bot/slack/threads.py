"""The thread a modal's work reports in: a parent message in the channel (or in the
user's DM with the bot where the channel takes no posts) and replies under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import Block, escape, notice_blocks
from bot.slack.responder import NOT_POSTABLE


@dataclass(frozen=True)
class Thread:
    """The thread under the parent message where results are posted."""

    client: Any
    channel: str
    ts: str

    def post(self, text: str, blocks: list[Block] | None = None) -> str:
        """Post a reply (`text`, the notification, must already be escaped); its ts."""
        response = self.client.chat_postMessage(channel=self.channel, thread_ts=self.ts,
                                                text=text, blocks=blocks)
        return str(response["ts"])

    def notice(self, message: str) -> None:
        self.post(escape(message), notice_blocks(message))


def open_thread(client: Any, channel: str, user: str, opening: str) -> Thread:
    """Post the parent message `opening` (mrkdwn) in `channel`, or in `user`'s DM."""
    try:
        first = client.chat_postMessage(channel=channel, text=opening)
    except SlackApiError as exc:
        if exc.response.get("error") not in NOT_POSTABLE:
            raise
        first = client.chat_postMessage(channel=user, text=opening)
    return Thread(client, str(first["channel"]), str(first["ts"]))
