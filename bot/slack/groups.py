"""Slack user-group membership for FT_LAUNCHERS entries that name a group (S…):
`usergroups.users.list`, cached briefly so a burst of clicks costs one call. Any
failure answers "not a member" (fail closed) and is logged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class GroupMembership:
    """`membership(group_id, user_id)`: is the user in the Slack user group now?"""

    def __init__(self, client: Any, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    def __call__(self, group_id: str, user_id: str) -> bool:
        members = self._members(group_id)
        return members is not None and user_id in members

    def _members(self, group_id: str) -> frozenset[str] | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(group_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            log.warning("cannot list the members of user group %s (%s): nobody in it may "
                        "launch", group_id, exc.response.get("error"))
            return None
        except Exception as exc:  # connection errors: fail closed, never crash the gate
            log.warning("cannot list the members of user group %s (%s): nobody in it may "
                        "launch", group_id, type(exc).__name__)
            return None
        members = frozenset(str(user) for user in response.get("users") or [])
        with self._lock:
            self._cache[group_id] = (now + self._ttl, members)
        return members
