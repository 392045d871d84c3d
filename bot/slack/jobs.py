"""Fine-tuning jobs in Slack: the launch dialog (from the checklist's Launch button or
`/finetune launch`), `/finetune status | jobs | cancel`, and the watcher thread that
posts job progress into the checklist's thread.

Submitting the dialog is the confirmation. The launching user is always the
verified payload's user; the launch gate checks everything else again, and its
launch-id claim makes double clicks and retried interactions one job."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.errors import FtAdvisorError
from bot.jobs.slack_notifier import SlackNotifier
from bot.jobs.spec import PRESETS
from bot.jobs.store import Job, JobStore
from bot.jobs.watcher import Watcher
from bot.slack.blocks import COMMAND, escape, notice_blocks
from bot.slack.job_blocks import (
    LAUNCH_CALLBACK,
    PRESET_BLOCK,
    LaunchTarget,
    already_launched_text,
    jobs_blocks,
    launch_dialog,
    launched_text,
    money,
    read_preset,
    status_blocks,
)
from bot.slack.reports import LAUNCH_ACTION
from bot.slack.responder import Responder

if TYPE_CHECKING:
    from bot.jobs.backend import Backend
    from bot.jobs.launch import Launcher, LaunchRequest

log = logging.getLogger(__name__)
NOT_CONFIGURED = ("Fine-tuning jobs are not set up on this ft-advisor server; ask whoever "
                  f"runs it to enable them. `{COMMAND} check` and `{COMMAND} ask …` work.")
FAILED = ("Sorry, the {what} failed unexpectedly. The team has the details in the logs; "
          f"`{COMMAND} jobs` shows whether a job exists.")
USAGE = {"launch": f"Usage: `{COMMAND} launch CHECKLIST_ID` (the id is in the checklist "
                   "result).",
         "cancel": f"Usage: `{COMMAND} cancel JOB` (`{COMMAND} jobs` lists the ids)."}
MAX_ID = 64


def _ephemeral(respond: Callable[..., Any], text: str, **blocks: Any) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False, **blocks)


def _request(checklist_id: str, user: str, **fields: Any) -> LaunchRequest:
    from bot.jobs.launch import LaunchRequest  # the gate pulls in the dataset tooling

    return LaunchRequest(checklist_id, user, **fields)


class JobsFlow:
    def __init__(self, launcher: Launcher, responder: Responder) -> None:
        self._launcher = launcher
        self._responder = responder

    @property
    def store(self) -> JobStore:
        return self._launcher.jobs

    def register(self, app: App) -> None:
        @app.action(LAUNCH_ACTION)
        def on_launch(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any,
                      respond: Any) -> None:
            ack()  # the dialog is the answer; it must open within the trigger's 3 s
            container = body.get("container") or {}
            self._responder.submit_now(
                self.open_dialog, client, respond, body["trigger_id"], body["user"]["id"],
                str(action.get("value") or "")[:MAX_ID], (body.get("channel") or {}).get("id"),
                container.get("thread_ts") or container.get("message_ts"))

        @app.view(LAUNCH_CALLBACK)
        def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any],
                      client: Any) -> None:
            preset = read_preset(view["state"]["values"])
            if preset not in PRESETS:
                ack(response_action="errors", errors={PRESET_BLOCK: "Choose a preset."})
                return
            ack()  # closes the dialog; the launch is reported in the thread
            self._responder.submit(self.launch, client, body["user"]["id"],
                                   LaunchTarget.loads(view.get("private_metadata")), preset)

    def command(self, ack: Any, sub: str, rest: str, command: dict[str, Any], client: Any,
                respond: Any) -> None:
        """`/finetune launch | status | jobs | cancel`: ack at once, work after."""
        arg = (rest.split() or [""])[0][:MAX_ID]
        user, channel = command["user_id"], command["channel_id"]
        if sub in USAGE and not arg:
            ack(blocks=notice_blocks(USAGE[sub]), text=USAGE[sub], response_type="ephemeral")
            return
        ack()
        if sub == "launch":
            self._responder.submit_now(self.open_dialog, client, respond,
                                       command["trigger_id"], user, arg, channel, None)
        elif sub == "cancel":
            self._responder.submit(self.cancel, client, respond, user, arg)
        elif sub == "status":
            self._responder.submit(self.status, respond, channel, arg)
        else:
            self._responder.submit(self.list_jobs, respond, channel)

    # -- launching -------------------------------------------------------------------
    def open_dialog(self, client: Any, respond: Callable[..., Any], trigger_id: str,
                    user: str, checklist_id: str, channel: str | None,
                    thread_ts: str | None) -> None:
        """Check the launch (authorisation, checklist, data, budget) and show its cost
        in the dialog; a refusal is an ephemeral reply and no dialog."""
        try:
            result, cost = self._launcher.check(_request(checklist_id, user, confirmed=False))
        except FtAdvisorError as exc:
            _ephemeral(respond, escape(str(exc)))
            return
        currency = self._launcher.currency
        # Report where the checklist did (its thread), else where the launch was asked.
        where = (result.channel, result.thread_ts) if result.channel else (channel, thread_ts)
        target = LaunchTarget(result.id, *where, cost=money(cost, currency))
        try:
            client.views_open(trigger_id=trigger_id,
                              view=launch_dialog(result, cost, currency, target))
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open failed for the launch dialog: %s", error)
            _ephemeral(respond, f"Could not open the launch dialog ({error}); please try "
                                "again.")

    def launch(self, client: Any, user: str, target: LaunchTarget, preset: str) -> None:
        """Launch what the dialog showed; say so in the job's thread."""
        try:
            job, created = self._launcher.launch(_request(
                target.checklist_id, user, confirmed=True, preset=preset,
                channel=target.channel, thread_ts=target.thread_ts))
        except FtAdvisorError as exc:
            self._tell(client, user, target, escape(str(exc)))
            return
        except Exception:
            log.exception("launching checklist %s failed (user %s)", target.checklist_id, user)
            self._tell(client, user, target, FAILED.format(what="launch"))
            return
        if not created:
            self._tell(client, user, target, already_launched_text(job))
            return
        text = launched_text(job, user, preset, target.cost)
        try:
            client.chat_postMessage(channel=job.spec.channel or user,
                                    thread_ts=job.spec.thread_ts, text=text)
        except SlackApiError as exc:
            log.warning("could not post the launch of job %s: %s", job.id,
                        exc.response.get("error"))
            self._tell(client, user, target, text)
        self._finished(client, job)

    def _finished(self, client: Any, job: Job) -> None:
        """A job that ended before any watcher saw it (refused by its backend,
        cancelled before submission) gets its terminal message here, once."""
        if job.terminal:
            SlackNotifier(client, self.store).finished(job)

    @staticmethod
    def _tell(client: Any, user: str, target: LaunchTarget, text: str) -> None:
        """A reply only `user` sees: ephemeral in the thread, else a DM."""
        if target.channel is not None:
            try:
                client.chat_postEphemeral(channel=target.channel, user=user,
                                          thread_ts=target.thread_ts, text=text)
                return
            except SlackApiError as exc:
                log.info("ephemeral reply failed (%s); sending a DM", exc.response.get("error"))
        try:
            client.chat_postMessage(channel=user, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s about a launch: %s", user, exc.response.get("error"))

    # -- status, jobs, cancel --------------------------------------------------------
    def status(self, respond: Callable[..., Any], channel: str, job_id: str) -> None:
        """One job (by id, else this channel's latest): progress and last events."""
        store = self.store
        job = store.get(job_id) if job_id else next(iter(store.recent(1, channel=channel)),
                                                    None)
        if job is None:
            text = (f"There is no job {escape(job_id)}." if job_id else
                    "No fine-tuning jobs in this channel yet.")
            _ephemeral(respond, f"{text} `{COMMAND} jobs` lists this channel's jobs.")
            return
        _ephemeral(respond, f"Fine-tuning job {job.id}: {job.status.value}",
                   blocks=status_blocks(job, store.events(job.id)))

    def list_jobs(self, respond: Callable[..., Any], channel: str) -> None:
        jobs = self.store.recent(limit=10, channel=channel)
        _ephemeral(respond, f"{len(jobs)} recent fine-tuning jobs in this channel",
                   blocks=jobs_blocks(jobs))

    def cancel(self, client: Any, respond: Callable[..., Any], user: str, job_id: str) -> None:
        """Cancel for an authorised user (the gate checks and audits it)."""
        try:
            job = self._launcher.cancel(job_id, user)
        except FtAdvisorError as exc:
            _ephemeral(respond, escape(str(exc)))
            return
        except Exception:
            log.exception("cancelling job %s failed (user %s)", job_id, user)
            _ephemeral(respond, FAILED.format(what="cancel"))
            return
        self._finished(client, job)
        _ephemeral(respond, f"Cancel requested for job `{job.id}`; its thread says when it "
                            "has stopped.")


def register(app: App, responder: Responder, flow: JobsFlow | None) -> None:
    """The jobs listeners; without a flow the Launch button says jobs are not set up."""
    if flow is not None:
        flow.register(app)
        return

    @app.action(LAUNCH_ACTION)
    def on_launch(ack: Any, respond: Any) -> None:
        ack()
        responder.submit_now(_ephemeral, respond, NOT_CONFIGURED)


def start_watcher(store: JobStore, backend_for: Callable[[str], Backend], client: Any,
                  interval_s: float, tick_s: float = 1.0,
                  on_finished: Callable[[Job], None] | None = None) -> Callable[[], None]:
    """Watch every unfinished job on a daemon thread, posting progress and outcomes in
    each job's thread; returns the function that stops it."""
    stop = threading.Event()
    watcher = Watcher(store, backend_for, SlackNotifier(client, store), interval_s=interval_s,
                      on_finished=on_finished)

    def run() -> None:
        while not stop.is_set():
            try:
                watcher.run(stop, tick_s)
            except Exception:  # the store is unreachable, say: keep watching
                log.exception("the job watcher failed; retrying")
                stop.wait(max(tick_s, 5.0))

    thread = threading.Thread(target=run, name="job-watcher", daemon=True)
    thread.start()

    def stop_watching() -> None:
        stop.set()
        thread.join(timeout=10)

    return stop_watching
