"""`ft-advisor` command line: ask, chat, ingest, sources, serve, and the pre-launch
checklist: check, validate, estimate."""

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
    from bot.slack.jobs import start_watcher

    services = _services()
    settings = services.settings
    socket_mode = settings.slack_app_token is not None
    from bot.slack.server import EVENTS_PATH, HEALTH_PATH, SlackHTTPServer

    # SIGTERM (docker stop, systemd) shuts down like Ctrl-C: the answer worker stops too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    answerer = ProcessAnswerer(settings)
    stop_watcher = None
    try:
        app = build_app(settings, answerer, services.slack_store, http_mode=not socket_mode,
                        checklist=services.checklist, launcher=services.launcher,
                        baselines=services.baseline_store)
        # Job progress and outcomes go to each job's thread; every replica may watch.
        after = _after_training(app.client, services)
        stop_watcher = start_watcher(services.job_store, services.backend_for, app.client,
                                     settings.watch_interval_s, on_finished=after)
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
        if stop_watcher is not None:
            stop_watcher()
        answerer.close()


def main() -> None:
    cli(prog_name="ft-advisor")


def _progress_bar(*paths: Path | None) -> Any:
    """A byte progress bar on stderr for big files when stderr is a terminal."""
    from tqdm import tqdm

    size = sum(p.stat().st_size for p in paths if p is not None and p.is_file())
    first = next(p for p in paths if p is not None)
    return tqdm(total=size, unit="B", unit_scale=True, desc=first.name, leave=False,
                disable=not sys.stderr.isatty() or size < 16 << 20)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--model", help="Count tokens as this model does (an OpenAI model, or an "
              "open model whose tokenizer is available locally). Default: gpt-4.1-mini.")
@click.option("--tokenizer", type=click.Path(path_type=Path, file_okay=False),
              help="A local Hugging Face tokenizer folder (exact LoRA token counts).")
@click.option("--validation", type=click.Path(path_type=Path),
              help="Validation file: validated too, and checked for overlap.")
@click.option("--max-example-tokens", type=click.IntRange(1), default=None,
              help="Longest example the backend trains on (default: the model's limit).")
@click.option("--min-examples", type=click.IntRange(0), default=None,
              help="Fewest examples the backend accepts (default: the model's minimum).")
@friendly_errors
def validate(file: Path, as_json: bool, model: str | None, tokenizer: Path | None,
             validation: Path | None, max_example_tokens: int | None,
             min_examples: int | None) -> None:
    """Validate a fine-tuning dataset (chat or preference JSONL). Exit 0: usable;
    1: blocking errors; 2: the file cannot be read."""
    from bot.checklist.pricing import load_pricing
    from bot.config import get_settings
    from bot.datasets.report import render_report
    from bot.datasets.validate import validate_dataset

    if model and tokenizer:
        raise click.UsageError("--model and --tokenizer are alternatives: give one.")
    limits = _model_limits(load_pricing(get_settings().pricing_file), model)
    with _progress_bar(file, validation) as bar:
        report = validate_dataset(
            file, model=model or (None if tokenizer else DEFAULT_OPENAI_MODEL),
            tokenizer=tokenizer, validation_path=validation,
            max_example_tokens=max_example_tokens or limits[1],
            min_examples=limits[0] if min_examples is None else min_examples,
            progress=bar.update)
    click.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)
               if as_json else render_report(report))
    sys.exit(report.exit_code)


DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"


def _model_limits(pricing: Any, model: str | None) -> tuple[int, int]:
    """(minimum examples, max tokens per example) for an OpenAI model; generous
    defaults for anything else."""
    from bot.errors import ConfigError

    try:
        known = pricing.openai_model(model or DEFAULT_OPENAI_MODEL)
    except ConfigError:
        return 10, 65536
    return known.min_examples, known.max_example_tokens


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "openai_model", default=DEFAULT_OPENAI_MODEL, show_default=True,
              help="OpenAI model to fine-tune.")
@click.option("--base-model", default="Qwen/Qwen2.5-7B-Instruct", show_default=True,
              help="Open model for the LoRA route.")
@click.option("--gpu", default="a100-80gb", show_default=True)
@click.option("--epochs", type=click.IntRange(1, 50), default=None,
              help="Default: OpenAI's automatic rule.")
@click.option("--monthly-requests", type=click.IntRange(0), default=None,
              help="Production requests a month: adds inference cost per route.")
@click.option("--current-model", default=None, help="The model you use today.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def estimate(file: Path, openai_model: str, base_model: str, gpu: str, epochs: int | None,
             monthly_requests: int | None, current_model: str | None, as_json: bool) -> None:
    """Cost of fine-tuning on FILE: OpenAI and LoRA side by side, every assumption shown."""
    from bot.checklist.costs import DatasetSize, estimate_costs, render_cost_table
    from bot.checklist.pricing import load_pricing
    from bot.config import get_settings
    from bot.datasets.validate import validate_dataset

    pricing = load_pricing(get_settings().pricing_file)
    min_examples, max_tokens = _model_limits(pricing, openai_model)
    with _progress_bar(file) as bar:
        report = validate_dataset(file, model=openai_model, max_example_tokens=max_tokens,
                                  min_examples=min_examples, progress=bar.update)
    valid = report.examples - report.invalid_examples
    if valid == 0:
        raise InputError(f"{file} has no valid examples to estimate from; run "
                         f"`ft-advisor validate {file}` to see why.")
    if not report.usable:
        click.echo(f"warning: {report.invalid_examples:,} invalid examples are left out of "
                   "the estimate; `ft-advisor validate` lists them.", err=True)
    table = estimate_costs(
        DatasetSize(examples=valid, billable_tokens=report.tokens.total,
                    mean_prompt_tokens=report.stats.mean_prompt_tokens,
                    mean_completion_tokens=report.stats.mean_completion_tokens),
        pricing=pricing, openai_model=openai_model, epochs=epochs, base_model=base_model,
        gpu=gpu, monthly_requests=monthly_requests, current_model=current_model)
    click.echo(json.dumps(table.model_dump(mode="json"), ensure_ascii=False, indent=2)
               if as_json else render_cost_table(table))


@cli.command()
@click.option("--answers", "answers_file", type=click.Path(path_type=Path),
              help="Answers as YAML (non-interactive; see docs/examples).")
@click.option("--dataset", type=click.Path(path_type=Path), help="Training file (JSONL).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@friendly_errors
def check(answers_file: Path | None, dataset: Path | None, as_json: bool) -> None:
    """The pre-launch checklist. Without --answers it asks its questions here.
    Exit 0 when every item passes, 1 otherwise."""
    from bot.checklist.answers import load_answers
    from bot.checklist.interactive import ask_answers
    from bot.checklist.run import Requester

    services = _services()
    if answers_file is not None:
        answers = load_answers(answers_file)
    else:
        answers, asked_dataset = ask_answers(services.goal_of)
        dataset = dataset or asked_dataset
    if dataset is not None and not dataset.is_file():
        raise InputError(f"The dataset {dataset} is not a file.")
    result = services.checklist.check(answers, dataset, Requester(user=_local_user()))
    click.echo(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2)
               if as_json else "\n" + result.as_text())
    sys.exit(0 if result.passed else 1)


def _local_user() -> str | None:
    import getpass

    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return None


def _echo_job(job: Any, events: list[tuple[str, str]] | None = None) -> None:
    from bot.jobs.messages import finished_text, progress_text

    click.echo(finished_text(job) if job.terminal else progress_text(job))
    for key, message in events or []:
        click.echo(f"  {key:<28} {message}")


@cli.command()
@click.option("--checklist", "checklist_id", help="Launch what this passed checklist checked.")
@click.option("--spec", "spec_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A JobSpec JSON file; its checklist must have passed for its training file.")
@click.option("--preset", default="balanced", show_default=True,
              help="LoRA hyperparameter preset: balanced, small-data or quick.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation of the cost.")
@friendly_errors
def launch(checklist_id: str | None, spec_file: Path | None, preset: str, yes: bool) -> None:
    """Launch a fine-tuning job from a passed checklist (FT_LAUNCHERS must list
    local:USER)."""
    from bot.jobs.launch import LaunchRequest
    from bot.jobs.spec import JobSpec

    if (checklist_id is None) == (spec_file is None):
        raise click.UsageError("Give one of --checklist ID or --spec FILE.")
    services = _services()
    launcher = services.launcher()
    spec = None
    if spec_file is not None:
        try:
            spec = JobSpec.model_validate_json(spec_file.read_bytes())
        except (OSError, ValueError) as exc:
            raise InputError(f"{spec_file} is not a readable JobSpec: "
                             f"{str(exc).splitlines()[0]}") from exc
        if spec.checklist_id is None:
            raise InputError(f"{spec_file} names no checklist_id; launches need a passed "
                             "checklist.")
        checklist_id = spec.checklist_id
    assert checklist_id is not None
    user = _local_user() or "local:unknown"
    result, cost = launcher.check(LaunchRequest(checklist_id, user, False, preset))
    currency = services.checklist.pricing.currency
    answers = result.answers
    model = answers.base_model if answers.backend == "lora" else answers.openai_model
    click.echo(f"Launch {answers.backend} fine-tuning of {model} on checklist {result.id}: "
               f"estimated {cost:,.2f} {currency}.", err=True)
    confirmed = yes or click.confirm("Launch it?", default=False, err=True)
    job, created = launcher.launch(LaunchRequest(checklist_id, user, confirmed, preset),
                                   spec=spec)
    click.echo(("Launched" if created else "Already launched") + f": job {job.id}")
    _echo_job(job)


@cli.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@friendly_errors
def jobs(limit: int) -> None:
    """Recent fine-tuning jobs."""
    from bot.jobs.messages import summary_line

    found = _services().job_store.recent(limit=limit)
    for job in found:
        click.echo(summary_line(job))
    if not found:
        click.echo("No fine-tuning jobs yet.")


@cli.command()
@click.argument("job_id")
@click.option("--follow", is_flag=True, help="Keep polling until the job finishes.")
@friendly_errors
def status(job_id: str, follow: bool) -> None:
    """A job's status, progress and events."""
    from bot.jobs.watcher import Watcher

    services = _services()
    store = services.job_store
    job = store.get(job_id)
    if job is None:
        raise InputError(f"There is no job {job_id}; `ft-advisor jobs` lists them.")
    if follow and not job.terminal:
        _follow(Watcher(store, services.backend_for, interval_s=0), store, job.id,
                services.settings.watch_interval_s)
        job = store.get(job.id) or job
    _echo_job(job, store.events(job.id))


def _follow(watcher: Any, store: Any, job_id: str, interval_s: float) -> None:
    """Poll one job until it finishes, with a progress bar over its steps."""
    import time

    from tqdm import tqdm

    with tqdm(unit="step", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        while True:
            watcher.poll_once(force=True)
            job = store.get(job_id)
            if job.progress is not None and job.progress.step is not None:
                bar.total = job.progress.total_steps
                bar.n = job.progress.step
                bar.set_postfix_str(f"{job.status.value} loss={job.progress.loss}")
                bar.refresh()
            if job.terminal:
                return
            time.sleep(min(interval_s, 5.0))


@cli.command()
@click.argument("job_id")
@friendly_errors
def cancel(job_id: str) -> None:
    """Cancel a job (authorised users only)."""
    job = _services().launcher().cancel(job_id, _local_user() or "local:unknown")
    click.echo(f"Cancel requested for job {job.id} ({job.status.value}).")


def _progress(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="example", file=sys.stderr, leave=False,
                disable=not sys.stderr.isatty())


@cli.command("eval")
@click.option("--dataset", type=click.Path(path_type=Path, dir_okay=False),
              help="Held-out file (chat JSONL; the last assistant reply is the reference).")
@click.option("--model", help="Model for the baseline run: a name on the OpenAI-compatible "
              "endpoint, or a local model folder (the LoRA base model).")
@click.option("--prompt", "prompt_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The team's system prompt, used instead of the examples' own.")
@click.option("--compare", "job_id", help="Compare a finished job's tuned model with its "
              "base model on the job's held-out file.")
@click.option("--evaluator", type=click.Choice(["exact_match", "json_fields",
                                                "style_similarity"]),
              help="Default: chosen from the references' shape.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--chart", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the comparison bar chart (PNG).")
@click.option("--yes", is_flag=True, help="Do not ask before spending on a baseline run.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@friendly_errors
def evaluate(dataset: Path | None, model: str | None, prompt_file: Path | None,
             job_id: str | None, evaluator: str | None, concurrency: int,
             chart: Path | None, yes: bool, as_json: bool) -> None:
    """Measure, don't believe: the prompted baseline on the held-out set
    (--dataset --model), or a tuned model against its base (--compare JOB)."""
    from bot.checklist.run import file_sha256
    from bot.config import get_settings
    from bot.evaluation import bar_chart_png, estimate_run_cost
    from bot.evaluation.session import compare_job, held_out, run_baseline
    from bot.evaluation.store import Baseline

    settings = get_settings()
    prompt = _read_text(prompt_file) if prompt_file else None
    if job_id is not None:
        services = _services()
        job = services.job_store.get(job_id)
        if job is None:
            raise InputError(f"There is no job {job_id}; `ft-advisor jobs` lists them.")
        comparison = compare_job(settings, job, system_prompt=prompt, evaluator=evaluator,
                                 concurrency=concurrency, lora_predictors=_lora_predictors())
        target = chart or settings.data_dir / "evals" / f"{job.id}-comparison.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        bar_chart_png(comparison, target)
        click.echo(comparison.model_dump_json(indent=2) if as_json
                   else comparison.render_text() + f"\n\nChart: {target}")
        return
    if dataset is None or model is None:
        raise click.UsageError("Give --dataset and --model for a baseline run, or --compare.")
    examples, sha256 = held_out(dataset), file_sha256(dataset)
    store = _services().baseline_store  # a database problem shows before any spending
    estimate = estimate_run_cost(examples, model, system_prompt=prompt)
    click.echo(estimate.render(), err=True)
    if not yes and not click.confirm("Run it?", default=True, err=True):
        raise InputError("Baseline run not started.")
    with _progress(len(examples)) as bar:
        result = run_baseline(settings, examples, model, system_prompt=prompt,
                              evaluator=evaluator, concurrency=concurrency,
                              progress=lambda done, _total: bar.update(done - bar.n))
    recorded = Baseline.of(result, sha256, _local_user())
    store.save(recorded)
    scored = result.evaluation
    report = {"baseline_id": recorded.id, "model": model, "examples": result.examples,
              "evaluator": scored.evaluator, "score": round(scored.mean, 4),
              "failures": scored.failures, "summary": scored.summary,
              "breakdown": {k: v.model_dump() for k, v in scored.breakdown.items()},
              "usage": {"prompt_tokens": result.run.usage.prompt_tokens,
                        "completion_tokens": result.run.usage.completion_tokens}}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"Baseline {model} on {result.examples:,} held-out examples "
               f"({scored.evaluator}): score {scored.mean:.1%}, {scored.failures} unusable "
               f"replies.\nRecorded as baseline {recorded.id}: the checklist uses it for "
               f"item 2 when {dataset.name} is its validation file (or its dataset, when "
               "ft-advisor splits off the held-out set).")
    for name, group in sorted(scored.breakdown.items()):
        click.echo(f"  {name:<24} {group.value:.1%}  (n={group.support})")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {path} as UTF-8 text.") from exc


def _lora_predictors() -> Any:
    """Base and adapter predictors for LoRA jobs, when the training extra is installed."""
    try:
        from bot.finetune.predict import lora_predictors
    except ImportError:
        return None
    return lora_predictors


def _after_training(client: Any, services: Any) -> Any:
    """Evaluates each succeeded job on its held-out set and posts the comparison."""
    from bot.evaluation import bar_chart_png
    from bot.evaluation.session import compare_job
    from bot.jobs.after_training import AfterTraining

    settings = services.settings
    return AfterTraining(
        client, services.job_store,
        evaluate=lambda job: compare_job(settings, job, lora_predictors=_lora_predictors()),
        chart=bar_chart_png, charts_dir=settings.data_dir / "evals")
