"""`ft-advisor` command line: ask, chat, ingest, sources."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.errors import FtAdvisorError, InputError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("bot")


def _services() -> Any:
    from bot.config import get_settings
    from bot.wiring import build_services

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    return build_services(settings)


def friendly_errors(func: F) -> F:
    """Domain errors become one line on stderr and their exit code; anything else
    is logged (traceback at DEBUG) and reported without a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FtAdvisorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            log.debug("unexpected failure", exc_info=True)
            click.echo(
                f"error: unexpected failure ({type(exc).__name__}); run with "
                "FT_LOG_LEVEL=DEBUG for details",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _read_question(words: tuple[str, ...]) -> str:
    if words == ("-",):
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"The question on standard input is not valid UTF-8 (byte {exc.start})."
            ) from exc
    return " ".join(words)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ft-advisor")
def cli() -> None:
    """Should we fine-tune? Honest, cited answers from a guidance knowledge base."""


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def ask(question: tuple[str, ...], as_json: bool) -> None:
    """Answer QUESTION ('-' reads it from standard input)."""
    from bot.inputs import clean_question

    text = clean_question(_read_question(question))
    answer = _services().advisor.answer([text])
    click.echo(answer.to_json() if as_json else answer.as_text())


@cli.command()
@friendly_errors
def chat() -> None:
    """Talk it through: each message adds to the conversation (empty line or
    'exit' to quit)."""
    services = _services()
    turns: list[str] = []
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Describe your use case; I keep the whole conversation in mind. "
                   "'exit' quits, 'reset' starts over.")
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        text = line.strip()
        if text.lower() in {"exit", "quit"} or (not text and interactive):
            break
        if not text:
            continue
        if text.lower() == "reset":
            turns = []
            click.echo("Starting over.")
            continue
        try:
            answer = services.advisor.answer([*turns, text])
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        turns.append(text)
        click.echo(answer.as_text() + "\n")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on when stderr is a terminal).")
@friendly_errors
def ingest(paths: tuple[Path, ...], as_json: bool, progress: bool | None) -> None:
    """Ingest .md/.txt/.html files or folders (default: the bundled knowledge)."""
    from bot.paths import bundled_dir
    from bot.rag.ingest import ingest as run_ingest

    roots = list(paths) or [bundled_dir("knowledge")]
    report = run_ingest(_services().vectorstore, roots, progress=progress)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.as_text())
    if report.skipped and not report.files:
        sys.exit(2)


@cli.command()
@click.argument("query", nargs=-1)
@click.option("-k", "--top-k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def sources(query: tuple[str, ...], top_k: int, as_json: bool) -> None:
    """Show what retrieval finds for QUERY, with scores."""
    from bot.advice.answer import Source
    from bot.inputs import clean_question

    text = clean_question(_read_question(query))
    services = _services()
    vector = services.embedder.encode([text])[0]
    found = [Source.of(p) for p in services.retriever.search(vector, top_k)]
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
        return
    for i, s in enumerate(found, 1):
        click.echo(f"[{i}] {s.score:.3f}  {s.title} › {s.section}  ({s.path})\n    {s.snippet}")


@cli.command()
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535),
              help="HTTP mode port.")
@click.option("--host", default="0.0.0.0", show_default=True, help="HTTP mode interface.")
@friendly_errors
def serve(port: int, host: str) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP
    (events, commands and interactivity at /slack/events, health at /healthz)."""
    from bot.slack.answering import ProcessAnswerer
    from bot.slack.app import build_app

    services = _services()
    settings = services.settings
    socket_mode = settings.slack_app_token is not None
    from bot.slack.server import EVENTS_PATH, HEALTH_PATH, SlackHTTPServer

    # SIGTERM (docker stop, systemd) shuts down like Ctrl-C: the answer worker stops too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    answerer = ProcessAnswerer(settings)
    try:
        app = build_app(settings, answerer, services.slack_store, http_mode=not socket_mode)
        answerer.warm_up()  # load the model and the knowledge base before taking traffic
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            health = SlackHTTPServer(None, host, port)
            health.start_background()
            click.echo(f"ft-advisor: Socket Mode; health at http://{host}:{health.port}"
                       f"{HEALTH_PATH}", err=True)
            SocketModeHandler(app, settings.slack_app_token.get_secret_value(),
                              web_client=app.client).start()
            return
        server = SlackHTTPServer(app, host, port)
        click.echo(f"ft-advisor: listening on http://{host}:{server.port}{EVENTS_PATH}",
                   err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("ft-advisor: stopping", err=True)
    finally:
        answerer.close()


def main() -> None:
    cli(prog_name="ft-advisor")
