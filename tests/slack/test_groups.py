"""User-group membership for FT_LAUNCHERS: cached for its TTL, fail closed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.groups import GroupMembership


@dataclass
class FakeClient:
    members: dict[str, list[str]]
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def usergroups_users_list(self, usergroup: str) -> dict[str, Any]:
        self.calls.append(usergroup)
        if self.error is not None:
            raise self.error
        return {"ok": True, "users": self.members[usergroup]}


def test_members_are_cached_for_the_ttl() -> None:
    now = [0.0]
    client = FakeClient({"S1": ["U1", "U2"]})
    member = GroupMembership(client, ttl_s=60, clock=lambda: now[0])
    assert member("S1", "U1") and member("S1", "U2") and not member("S1", "U3")
    assert client.calls == ["S1"]
    client.members["S1"] = ["U3"]
    now[0] = 61.0
    assert member("S1", "U3") and not member("S1", "U1")
    assert client.calls == ["S1", "S1"]


@pytest.mark.parametrize("error", [
    SlackApiError("no", {"ok": False, "error": "missing_scope"}),
    ConnectionError("reset by peer"),
])
def test_errors_fail_closed_and_are_not_cached(error: Exception,
                                               caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient({"S1": ["U1"]}, error=error)
    member = GroupMembership(client)
    assert not member("S1", "U1")
    assert "S1" in caplog.text and "nobody in it may launch" in caplog.text
    client.error = None
    assert member("S1", "U1") and client.calls == ["S1", "S1"]
