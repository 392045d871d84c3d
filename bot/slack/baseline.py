"""`/finetune baseline` in Slack: a modal for the held-out file, the model, the team's
prompt and the evaluator. On submission, on the answer pool: the file is downloaded
and priced, a parent message in the channel shows the cost estimate, one progress
message in its thread is edited in place while the model runs, and the result,
recorded for the checklist's prompting item, is posted in the thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import FtAdvisorError, InputError
from bot.slack.blocks import COMMAND, escape, notice_blocks
from bot.slack.files import fetch, upload_folder
from bot.slack.forms import (
    BASELINE_CALLBACK,
    BaselineForm,
    FormErrors,
    baseline_modal,
    channel_of,
    read_baseline,
)
from bot.slack.progress import ProgressMessage
from bot.slack.responder import Responder
from bot.slack.threads import Thread, open_thread

if TYPE_CHECKING:
    from bot.evaluation.examples import HeldOutExample
    from bot.evaluation.store import BaselineStore

log = logging.getLogger(__name__)
NOT_CONFIGURED = ("Baseline runs are not set up on this ft-advisor server; ask whoever "
                  "runs it to enable them. `ft-advisor eval --dataset … --model …` runs one "
                  "from your machine.")
NO_ENDPOINT = ("Baseline runs need a model endpoint, and this ft-advisor server has "
               "neither OPENAI_API_KEY nor OPENAI_BASE_URL (an OpenAI-compatible server) "
               "set. Ask whoever runs it to add one, or run `ft-advisor eval --dataset … "
               "--model …` from your machine.")
FAILED = ("Sorry, the baseline run failed unexpectedly. The team has the details in the "
          "logs; please try again in a minute.")


class BaselineFlow:
    def __init__(self, store: BaselineStore, settings: Settings, responder: Responder,
                 concurrency: int = 8) -> None:
        self._store = store
        self._settings = settings
        self._responder = responder
        self._concurrency = concurrency

    def command(self, ack: Any, command: dict[str, Any], client: Any, respond: Any) -> None:
        """`/finetune baseline`: the modal, or why there is none."""
        if not self._settings.uses_llm:
            ack(blocks=notice_blocks(NO_ENDPOINT), text=NO_ENDPOINT, response_type="ephemeral")
            return
        ack()  # the modal is the answer; it must open within the trigger's 3 s
        self._responder.submit_now(self.open_modal, client, respond, command["trigger_id"],
                                   command["channel_id"])

    def open_modal(self, client: Any, respond: Callable[..., Any], trigger_id: str,
                   channel: str) -> None:
        try:
            client.views_open(trigger_id=trigger_id, view=baseline_modal(channel))
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open failed for the baseline modal: %s", error)
            respond(text=f"Could not open the form ({error}); please run `{COMMAND} "
                         "baseline` again.", response_type="ephemeral")

    def register(self, app: App) -> None:
        @app.view(BASELINE_CALLBACK)
        def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any],
                      client: Any) -> None:
            try:
                form = read_baseline(view["state"]["values"], self._settings.max_upload_mb)
            except FormErrors as exc:
                ack(response_action="errors", errors=exc.errors)
                return
            ack()
            self._responder.submit(self.run, client, channel_of(view), body["user"]["id"],
                                   form)

    def run(self, client: Any, channel: str, user: str, form: BaselineForm) -> None:
        """Download, price, run, score, record and report; any problem is a plain
        reply in the thread (opened just for it when it came before the estimate)."""
        # Imported on use: the run pulls in the OpenAI SDK and the tokenizers.
        from bot.checklist.run import file_sha256
        from bot.evaluation import estimate_run_cost
        from bot.evaluation.session import held_out

        thread = None
        try:
            with upload_folder(self._settings.data_dir) as folder:
                path = fetch(client, self._settings, form.held_out, folder)
                try:
                    examples, sha256 = held_out(path), file_sha256(path)
                except InputError as exc:  # it names the server's temporary path
                    raise InputError(str(exc).replace(str(path), path.name)) from exc
            estimate = estimate_run_cost(examples, form.model,
                                         system_prompt=form.system_prompt)
            thread = open_thread(client, channel, user, f"Running the baseline for <@{user}> "
                                 f"on {escape(path.name)}: {escape(estimate.render())}")
            self._measure(thread, examples, sha256, path.name, user, form)
        except FtAdvisorError as exc:
            self._failed(thread, client, channel, user).notice(str(exc))
        except Exception:
            log.exception("the baseline run failed (channel %s, user %s)", channel, user)
            self._failed(thread, client, channel, user).notice(FAILED)

    def _measure(self, thread: Thread, examples: list[HeldOutExample], sha256: str,
                 file_name: str, user: str, form: BaselineForm) -> None:
        from bot.evaluation.session import run_baseline
        from bot.evaluation.store import Baseline
        from bot.slack.baseline_report import baseline_messages, headline

        progress = ProgressMessage(thread, len(examples))
        result = run_baseline(self._settings, examples, form.model,
                              system_prompt=form.system_prompt, evaluator=form.evaluator,
                              concurrency=self._concurrency, progress=progress)
        progress.update(f"Answered all {len(examples):,} prompts in "
                        f"{result.run.wall_s:,.1f} s.")
        recorded = Baseline.of(result, sha256, user)
        self._store.save(recorded)
        for blocks in baseline_messages(recorded, result.evaluation, file_name):
            thread.post(escape(headline(recorded)), blocks)

    @staticmethod
    def _failed(thread: Thread | None, client: Any, channel: str, user: str) -> Thread:
        return thread or open_thread(client, channel, user,
                                     f"Could not run the baseline for <@{user}>.")
