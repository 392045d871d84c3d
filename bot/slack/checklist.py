"""`/finetune check` and `/finetune validate` in Slack: a modal opened straight after
the ack, its answers read back on submission, and the work on the answer pool: a
parent message in the channel, the attached files downloaded, the result posted in
that message's thread. The requester is always the verified payload's user."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import FtAdvisorError
from bot.slack.blocks import escape
from bot.slack.files import fetch, upload_folder
from bot.slack.forms import (
    CHECK_CALLBACK,
    VALIDATE_CALLBACK,
    CheckForm,
    FormErrors,
    ValidateForm,
    channel_of,
    checklist_modal,
    read_checklist,
    read_validate,
    validate_modal,
)
from bot.slack.reports import checklist_messages, validation_messages
from bot.slack.responder import Responder
from bot.slack.threads import Thread, open_thread

if TYPE_CHECKING:
    from bot.checklist.service import ChecklistService

log = logging.getLogger(__name__)
NOT_CONFIGURED = ("The pre-launch checklist is not set up on this ft-advisor server; ask "
                  "whoever runs it to enable it. `/finetune ask …` works.")
FAILED = ("Sorry, the {what} failed unexpectedly. The team has the details in the logs; "
          "please try again in a minute.")


class ChecklistFlow:
    def __init__(self, service: ChecklistService, settings: Settings,
                 responder: Responder) -> None:
        self._service = service
        self._settings = settings
        self._responder = responder

    def open_modal(self, client: Any, respond: Callable[..., Any], subcommand: str,
                   trigger_id: str, channel: str) -> None:
        """Open the checklist or validation modal (on the quick pool)."""
        view = checklist_modal(channel) if subcommand == "check" else validate_modal(channel)
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open failed: %s", error)
            respond(text=f"Could not open the form ({error}); please run `/finetune "
                         f"{subcommand}` again.", response_type="ephemeral")

    def register(self, app: App) -> None:
        max_mb = self._settings.max_upload_mb

        @app.view(CHECK_CALLBACK)
        def on_check(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
            try:
                form = read_checklist(view["state"]["values"], max_mb)
            except FormErrors as exc:
                ack(response_action="errors", errors=exc.errors)
                return
            ack()
            self._responder.submit(self.run_check, client, channel_of(view),
                                   body["user"]["id"], form)

        @app.view(VALIDATE_CALLBACK)
        def on_validate(ack: Any, body: dict[str, Any], view: dict[str, Any],
                        client: Any) -> None:
            try:
                form = read_validate(view["state"]["values"], max_mb)
            except FormErrors as exc:
                ack(response_action="errors", errors=exc.errors)
                return
            ack()
            self._responder.submit(self.run_validate, client, channel_of(view),
                                   body["user"]["id"], form)

    def run_check(self, client: Any, channel: str, user: str, form: CheckForm) -> None:
        # Imported on use: the checklist run pulls in the dataset tooling.
        from bot.checklist.run import Requester

        opening = f"Running the pre-launch checklist for <@{user}>…"
        with self._thread(client, channel, user, opening, "checklist") as thread, \
                upload_folder(self._settings.data_dir) as folder:
            answers = form.answers
            dataset = fetch(client, self._settings, form.dataset, folder) if form.dataset \
                else None
            if form.validation:
                path = fetch(client, self._settings, form.validation, folder)
                answers = answers.model_copy(update={"validation_file": path})
            result = self._service.check(answers, dataset,
                                         Requester(user, thread.channel, thread.ts))
            for blocks in checklist_messages(result):
                thread.post(escape(result.summary()), blocks)

    def run_validate(self, client: Any, channel: str, user: str, form: ValidateForm) -> None:
        opening = f"Validating a dataset for <@{user}>…"
        with self._thread(client, channel, user, opening, "validation") as thread, \
                upload_folder(self._settings.data_dir) as folder:
            path = fetch(client, self._settings, form.dataset, folder)
            report = self._service.validate(path, form.answers)
            usable = bool(report.usable)
            verdict = "usable" if usable else "has blocking errors"
            for blocks in validation_messages(path.name, report.model_dump(mode="json"),
                                              usable):
                thread.post(escape(f"{path.name}: {verdict}"), blocks)

    @contextmanager
    def _thread(self, client: Any, channel: str, user: str, opening: str,
                what: str) -> Iterator[Thread]:
        """Post the parent message (in the user's DM with the bot where the channel
        does not take posts); problems inside become a plain reply in its thread."""
        thread = open_thread(client, channel, user, opening)
        try:
            yield thread
        except FtAdvisorError as exc:
            thread.notice(str(exc))
        except Exception:
            log.exception("the %s failed (channel %s, user %s)", what, channel, user)
            thread.notice(FAILED.format(what=what))
