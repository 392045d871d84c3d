"""Job notifications in the job's Slack thread, each delivered exactly once.

A notification is claimed in the store (one row per job and key) before it is posted
and confirmed with the message's ts after. Each message carries Slack message
metadata naming the job and key, so a claim left unconfirmed by a crash is settled
by looking for that message in the thread: found, it is confirmed; not found, it is
posted now."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs.messages import finished_text, progress_text
from bot.jobs.store import Job, JobStore
from bot.slack.blocks import escape

log = logging.getLogger(__name__)
EVENT_TYPE = "ft_job_notification"
PROGRESS = "progress"
OWN_KEYS = {PROGRESS, "succeeded", "failed", "cancelled"}
_USER_ID = re.compile(r"[UW][A-Z0-9_]+")
SETTLE_AFTER_S = 60  # an unconfirmed claim younger than this may still be in flight


class SlackNotifier:
    def __init__(self, client: WebClient, store: JobStore) -> None:
        self._client = client
        self._store = store

    def progress(self, job: Job) -> None:
        if job.spec.channel is None:
            return
        claimed, ts = self._store.notification(job.id, PROGRESS)
        if not claimed:
            self._deliver(job, PROGRESS, progress_text(job, escape))
        elif ts is not None:
            self._client.chat_update(channel=job.spec.channel, ts=ts,
                                     text=progress_text(job, escape))

    def finished(self, job: Job) -> None:
        if job.spec.channel is None or not job.terminal:
            return
        self._deliver(job, job.status.value, finished_text(job, escape, mention))

    def deliver_pending(self, job: Job) -> None:
        if job.spec.channel is None:
            return
        for key in self._store.unconfirmed_notifications(job.id):
            if key not in OWN_KEYS:
                continue  # e.g. the evaluation, posted by bot.jobs.after_training
            ts = self._find_posted(job, key)
            if ts is not None:
                self._store.confirm_notification(job.id, key, ts)
            elif self._store.claim_age_s(job.id, key) >= SETTLE_AFTER_S:
                text = (progress_text(job, escape) if key == PROGRESS
                        else finished_text(job, escape, mention))
                self._post(job, key, text)

    def _deliver(self, job: Job, key: str, text: str) -> None:
        if self._store.claim_notification(job.id, key):
            self._post(job, key, text)

    def _post(self, job: Job, key: str, text: str) -> None:
        assert job.spec.channel is not None
        response = self._client.chat_postMessage(
            channel=job.spec.channel, thread_ts=job.spec.thread_ts, text=text,
            metadata={"event_type": EVENT_TYPE,
                      "event_payload": {"job_id": job.id, "key": key}})
        self._store.confirm_notification(job.id, key, str(response["ts"]))
        if key == "succeeded" and job.outcome and job.outcome.loss_curve:
            self._upload_curve(job, job.outcome.loss_curve)

    def _upload_curve(self, job: Job, path: str) -> None:
        try:
            self._client.files_upload_v2(channel=job.spec.channel, thread_ts=job.spec.thread_ts,
                                         file=path, title=f"Loss curve, job {job.id}")
        except (SlackApiError, OSError) as exc:
            log.warning("could not upload the loss curve of job %s: %s", job.id,
                        type(exc).__name__)

    def _find_posted(self, job: Job, key: str) -> str | None:
        """The ts of this notification if it is already in the channel or thread."""
        assert job.spec.channel is not None
        try:
            if job.spec.thread_ts:
                response = self._client.conversations_replies(
                    channel=job.spec.channel, ts=job.spec.thread_ts, include_all_metadata=True,
                    limit=200)
            else:
                oldest = str(job.created_at.replace(tzinfo=dt.UTC).timestamp())
                response = self._client.conversations_history(
                    channel=job.spec.channel, oldest=oldest, include_all_metadata=True,
                    limit=200)
        except SlackApiError as exc:
            log.warning("cannot read back notifications of job %s: %s", job.id,
                        exc.response.get("error"))
            return None
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            if _names(message, job.id, key):
                return str(message["ts"])
        return None


def mention(user: str) -> str:
    """A Slack user id as a mention; anything else (local:USER) as escaped text."""
    return f"<@{user}>" if _USER_ID.fullmatch(user) else escape(user)


def _names(message: dict[str, Any], job_id: str, key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == EVENT_TYPE and payload.get("job_id") == job_id
                and payload.get("key") == key)
