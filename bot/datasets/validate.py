"""Validate a fine-tuning JSONL file: streaming, on every core, never raising on content.

The parent cuts the file into ~1 MiB spans that end at a line end (it seeks and reads
a few bytes at each cut, nothing else). With N workers it runs N - 1 child processes,
keeps two spans in flight for each, and checks the spans they have no room for itself,
so every core works and one process fewer holds a tokenizer. Whoever checks a span
reads it itself, in blocks of whole lines, parses them with orjson, checks every
example (`formats`), counts its tokens with its own cached counter (`tokens`) and
returns compact results: counts, the first line numbers of each problem, arrays of
token counts and 8-byte hashes. The parent merges them in file order and decides
what needs the whole file: duplicates, near duplicates, train/validation overlap,
label balance. Memory stays flat however large the file is (about 40 bytes per valid
example for the arrays). Files under `pool_threshold` bytes are checked in-process,
through the same code.

Counting rules: every non-blank line is an example, valid or invalid (an invalid one
has at least one blocking error); blank lines are skipped and only counted in
`stats.blank_lines`; a UTF-8 byte order mark before the first line is ignored (with a
warning). Only an unreadable file raises (`InputError`).

Label-like replies: when every valid example ends with a plain-text assistant reply of
at most 40 characters, with at most 100 distinct values and at least two examples per
value on average, the replies are treated as class labels: short replies are then
expected (no `short_assistant_replies`), and `label_imbalance` warns about each class
under 2% of the examples or under a tenth of the largest class.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, Protocol

import orjson

from bot.datasets.formats import (
    PERSONAL_DATA,
    SPECIAL_TOKENS,
    Checked,
    Format,
    TextChecks,
    check_example,
    detect_format,
    digest,
)
from bot.datasets.tokens import counter_for, frame
from bot.errors import InputError

if TYPE_CHECKING:  # workers never build reports: spawned ones need not import pydantic
    from bot.datasets.report import Distribution, Issue, ValidationReport

CHUNK_BYTES = 1 << 20
POOL_THRESHOLD = 2 << 20  # smaller files: starting processes costs more than it saves
MAX_LINE_BYTES = 32 << 20
FIRST_LINES = 10  # line numbers kept per category
SHORT_REPLY_TOKENS = 3
LABEL_MAX_CHARS = 40
LABEL_MAX_CLASSES = 100
LABEL_MIN_SHARE = 0.02
LABEL_MAX_RATIO = 10
_BOM = b"\xef\xbb\xbf"


class Block(NamedTuple):
    """Whole lines from `first_line` on; `skipped` > 0: one line too long to read."""

    first_line: int
    data: bytes
    skipped: int = 0


class Span(NamedTuple):
    """Bytes [start, end) of the file: whole lines, the unit of work of a worker."""

    start: int
    end: int


@dataclass(frozen=True)
class Settings:
    """What every worker needs to check its spans."""

    path: Path
    fmt: Format
    max_example_tokens: int
    model: str | None
    tokenizer: Path | None
    chunk_bytes: int = CHUNK_BYTES


@dataclass(slots=True)
class ChunkResult:
    """A span's findings, compact enough to send between processes. Line numbers are
    relative to the span until the parent merges them."""

    line_count: int = 0  # physical lines in the span
    examples: int = 0
    invalid: int = 0
    blank: int = 0
    errors: dict[str, list[Any]] = field(default_factory=dict)  # category -> [count, lines]
    warnings: dict[str, list[Any]] = field(default_factory=dict)
    short_replies: list[Any] = field(default_factory=lambda: [0, []])
    lines: array[int] = field(default_factory=lambda: array("Q"))  # per valid example
    hashes: array[int] = field(default_factory=lambda: array("Q"))  # exact duplicates
    near_hashes: array[int] = field(default_factory=lambda: array("Q"))
    tokens: array[int] = field(default_factory=lambda: array("I"))
    messages: array[int] = field(default_factory=lambda: array("I"))
    replies: array[int] = field(default_factory=lambda: array("I"))  # per assistant reply
    completion: int = 0
    billable: int = 0
    truncated: int = 0
    cut: int = 0
    labels: Counter[str] | None = field(default_factory=Counter)
    size: int = 0  # bytes covered, for progress
    encoding: str = ""  # the counter that counted
    exact: bool = True


def validate_dataset(
    path: Path,
    *,
    model: str | None = None,
    tokenizer: Path | None = None,
    max_example_tokens: int = 65_536,
    min_examples: int = 10,
    validation_path: Path | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    pool_threshold: int = POOL_THRESHOLD,
    chunk_bytes: int = CHUNK_BYTES,
) -> ValidationReport:
    """Check a chat or preference JSONL file (and a validation file) for fine-tuning.

    `model`/`tokenizer` choose the token counter (`tokens.counter_for`); examples over
    `max_example_tokens` are truncated in the billable count; fewer than `min_examples`
    valid examples is a blocking error (the validation file needs one). `workers`
    defaults to the usable cores; `progress(n)` is told the bytes of each span done.
    `pool_threshold` and `chunk_bytes` tune when and how the work is split.
    Raises `InputError` only when a file cannot be read."""
    workers = workers or _cores()
    fmt = _peek_format(path)
    settings = Settings(path, fmt, max_example_tokens, model, tokenizer, chunk_bytes)
    tally = _run(settings, workers, pool_threshold, progress)
    report = tally.report(settings, min_examples)
    if validation_path is not None:
        val_fmt = fmt if fmt != "unknown" else _peek_format(validation_path)
        val_settings = Settings(
            validation_path, val_fmt, max_example_tokens, model, tokenizer, chunk_bytes
        )
        val_tally = _run(val_settings, workers, pool_threshold, progress)
        report.validation = val_tally.report(val_settings, 1)
        report.usable = report.usable and report.validation.usable
        overlap = val_tally.overlap(tally)
        if overlap is not None:
            report.warnings = dict(
                sorted({**report.warnings, "train_validation_overlap": overlap}.items())
            )
    return report


class Readable(Protocol):
    """Anything with a binary `read(size)`."""

    def read(self, size: int, /) -> bytes: ...


def read_chunks(
    file: Readable, chunk_bytes: int = CHUNK_BYTES, max_line: int = MAX_LINE_BYTES
) -> Iterator[Block]:
    """Blocks of whole lines of about `chunk_bytes`; a line over `max_line` bytes is
    skipped without being held in memory and comes back as a Block with no data."""
    line, skipping, buffer = 1, 0, bytearray()
    while block := file.read(chunk_bytes):
        if skipping:
            end = block.find(b"\n")
            if end < 0:
                skipping += len(block)
                continue
            yield Block(line, b"", skipping + end + 1)
            line, skipping, block = line + 1, 0, block[end + 1 :]
        buffer += block
        cut = buffer.rfind(b"\n") + 1
        if cut:
            data = bytes(memoryview(buffer)[:cut])
            del buffer[:cut]
            yield Block(line, data)
            line += data.count(b"\n")
        if len(buffer) > max_line:
            skipping = len(buffer)
            buffer.clear()
    if skipping:
        yield Block(line, b"", skipping)
    elif buffer:
        yield Block(line, bytes(buffer))


def open_dataset(path: Path) -> BinaryIO:
    """The file opened for binary reading; `InputError` with the reason if it cannot be."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{path} is a directory; give the path of a JSONL file.")
        if not stat.S_ISREG(mode):
            raise InputError(f"{path} is not a regular file; give the path of a JSONL file.")
        return open(path, "rb", buffering=0)  # the caller closes it
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; check the path of the JSONL file.") from None
    except PermissionError:
        raise InputError(f"{path} cannot be read: permission denied.") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}.") from None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _peek_format(path: Path) -> Format:
    with open_dataset(path) as file:
        try:
            head = file.read(CHUNK_BYTES)
        except OSError as exc:
            raise InputError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    objects = []
    for raw in head.removeprefix(_BOM).split(b"\n")[:100]:
        try:
            objects.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            continue
    return detect_format(objects)


def _run(
    settings: Settings,
    workers: int,
    pool_threshold: int,
    progress: Callable[[int], None] | None,
) -> _Tally:
    path, tally = settings.path, _Tally()
    try:
        with open_dataset(path) as file:
            size = os.fstat(file.fileno()).st_size
            spans = _spans(file, size, settings.chunk_bytes)
            if workers > 1 and size >= pool_threshold:
                _run_pool(spans, settings, workers, tally, progress)
            else:
                worker = _Worker(settings)
                try:
                    for span in spans:
                        tally.add(worker.process(span), progress)
                finally:
                    worker.close()
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return tally


def _spans(file: BinaryIO, size: int, chunk_bytes: int) -> Iterator[Span]:
    """Spans of about `chunk_bytes`, each ending just after a newline (or at the end)."""
    start = 0
    while start < size:
        end = min(start + max(chunk_bytes, 1), size)
        if end < size:
            file.seek(end - 1)
            while block := file.read(1 << 16):
                found = block.find(b"\n")
                if found >= 0:
                    end += found
                    break
                end += len(block)
            end = min(end, size)
        yield Span(start, end)
        start = end


def _run_pool(
    spans: Iterator[Span],
    settings: Settings,
    workers: int,
    tally: _Tally,
    progress: Callable[[int], None] | None,
) -> None:
    """`workers - 1` processes, fed two spans each, and the parent checks the spans
    they have no room for: every core works, with one process (and tokenizer) fewer."""
    local = _Worker(settings)  # loads the counter before forking: the children share it
    children = workers - 1
    pending: deque[Future[ChunkResult]] = deque()
    try:
        with ProcessPoolExecutor(
            children, mp_context=_mp_context(), initializer=_init_worker, initargs=(settings,)
        ) as pool:
            for span in spans:
                if sum(not future.done() for future in pending) < 2 * children:
                    pending.append(pool.submit(_process_span, span))
                else:
                    done: Future[ChunkResult] = Future()
                    done.set_result(local.process(span))
                    pending.append(done)
                while pending and (pending[0].done() or len(pending) > 8 * workers):
                    tally.add(pending.popleft().result(), progress)
            while pending:
                tally.add(pending.popleft().result(), progress)
    finally:
        local.close()


def _mp_context() -> BaseContext:
    """fork on Linux: the children start at once, share the parent's loaded tokenizer
    (~75 MB) copy-on-write and never re-import the caller's main module. Their code
    (orjson, hashlib's blake2, re, the Rust tokenizer) takes no lock that another thread
    of the caller (a tqdm monitor, a Slack app) could hold at fork time, and CPython
    re-initialises its own. Elsewhere spawn, which rebuilds everything from `Settings`."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_WORKER: _Worker | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER
    _WORKER = _Worker(settings)


def _process_span(span: Span) -> ChunkResult:
    assert _WORKER is not None, "the pool initializer did not run"
    return _WORKER.process(span)


def _note(issues: dict[str, list[Any]], category: str, line: int) -> None:
    entry = issues.get(category)
    if entry is None:
        issues[category] = [1, [line]]
    else:
        _merge(entry, 1, [line])


class _Worker:
    """Checks spans of the file; one per process, with its own file handle and caches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counter = counter_for(settings.model, settings.tokenizer)
        self.checks = TextChecks(self.counter.count_uncached)
        self.file = open_dataset(settings.path)

    def close(self) -> None:
        self.file.close()

    def process(self, span: Span) -> ChunkResult:
        result = ChunkResult(
            size=span.end - span.start, encoding=self.counter.encoding, exact=self.counter.exact
        )
        if self.settings.fmt == "preference":
            result.labels = None
        self.file.seek(span.start)
        reader = _Limited(self.file, span.end - span.start)
        for block in read_chunks(reader, self.settings.chunk_bytes):
            if block.skipped:
                result.examples += 1
                result.invalid += 1
                _note(result.errors, "line_too_long", block.first_line)
                result.line_count = block.first_line
                continue
            pieces = block.data.split(b"\n")
            if not pieces[-1]:
                pieces.pop()
            for line, raw in enumerate(pieces, block.first_line):
                if line == 1 and span.start == 0 and raw.startswith(_BOM):
                    raw = raw[len(_BOM) :]
                    _note(result.warnings, "byte_order_mark", 1)
                if not raw or raw.isspace():
                    result.blank += 1
                    continue
                result.examples += 1
                self._line(raw, line, result)
            result.line_count = block.first_line + len(pieces) - 1
        return result

    def _line(self, raw: bytes, line: int, result: ChunkResult) -> None:
        errors = result.errors
        if len(raw) > MAX_LINE_BYTES:
            result.invalid += 1
            _note(errors, "line_too_long", line)
            return
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            result.invalid += 1
            _note(errors, _json_error(raw), line)
            return
        if type(obj) is not dict:
            result.invalid += 1
            _note(errors, "not_an_object", line)
            return
        checked = check_example(obj, self.settings.fmt)
        found = checked.errors
        flags, prompt, replies = 0, 0, [0] * len(checked.replies)
        key: list[bytes] = []
        if not found:
            facts = self.checks.of
            for tag, text, owner in checked.texts:
                tokens, text_flags, text_digest = facts(text)
                flags |= text_flags
                key += (tag, text_digest)
                if owner < 0:
                    prompt += tokens
                else:
                    replies[owner] += tokens
            if flags & SPECIAL_TOKENS:
                found.add("special_tokens")
        if not found:
            try:
                sequences = self._sequences(checked, prompt, replies)
            except Exception:  # only a chat template can refuse a valid example
                found.add("chat_template_error")
        if found:
            result.invalid += 1
            for category in found:
                _note(errors, category, line)
            return
        for category in checked.warnings:
            _note(result.warnings, category, line)
        if flags & PERSONAL_DATA:
            _note(result.warnings, "personal_data", line)
        limit = self.settings.max_example_tokens
        cut = sum(tokens - limit for tokens in sequences if tokens > limit)
        total = sum(sequences)
        if cut:
            result.truncated += 1
            result.cut += cut
            _note(result.warnings, "over_context_limit", line)
        result.billable += total - cut
        result.replies.extend(replies)
        result.completion += sum(replies)
        if replies and min(replies) < SHORT_REPLY_TOKENS:
            _merge(result.short_replies, 1, [line])
        result.lines.append(line)
        result.tokens.append(total)
        result.messages.append(len(checked.sequences[0]))
        result.hashes.append(int.from_bytes(digest(raw), "little"))
        result.near_hashes.append(int.from_bytes(digest(b"".join(key)), "little"))
        self._label(checked.label, result)

    def _sequences(self, checked: Checked, prompt: int, replies: list[int]) -> list[int]:
        """Tokens of each training sequence: the prompt with all replies (chat), or with
        each output (preference)."""
        counter = self.counter
        if counter.chat_template:
            return [
                counter.count_example(messages, checked.tools, checked.functions)
                for messages in checked.sequences
            ]
        if len(checked.sequences) == 1:
            return [frame(checked.sequences[0], prompt + sum(replies), counter.count_text)]
        return [
            frame(messages, prompt + reply, counter.count_text)
            for messages, reply in zip(checked.sequences, replies, strict=True)
        ]

    @staticmethod
    def _label(label: str | None, result: ChunkResult) -> None:
        labels = result.labels
        if labels is None:
            return
        label = label.strip() if label is not None else ""
        if not label or len(label) > LABEL_MAX_CHARS or "\n" in label:
            result.labels = None
            return
        labels[label] += 1
        if len(labels) > LABEL_MAX_CLASSES:
            result.labels = None


def _json_error(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    return "invalid_json"


class _Limited:
    """Reads at most `left` bytes of a file (a worker's span)."""

    def __init__(self, file: BinaryIO, left: int) -> None:
        self.file = file
        self.left = left

    def read(self, size: int) -> bytes:
        data = self.file.read(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(data)
        return data


class _Tally:
    """Span results merged in file order, and the whole-file decisions."""

    def __init__(self) -> None:
        self.total = ChunkResult()

    def add(self, chunk: ChunkResult, progress: Callable[[int], None] | None) -> None:
        total = self.total
        offset = total.line_count
        total.line_count += chunk.line_count
        total.examples += chunk.examples
        total.invalid += chunk.invalid
        total.blank += chunk.blank
        for mine, theirs in ((total.errors, chunk.errors), (total.warnings, chunk.warnings)):
            for category, (count, lines) in theirs.items():
                entry = mine.setdefault(category, [0, []])
                _merge(entry, count, [line + offset for line in lines])
        count, lines = chunk.short_replies
        _merge(total.short_replies, count, [line + offset for line in lines])
        total.lines.extend([line + offset for line in chunk.lines])
        for name in ("hashes", "near_hashes", "tokens", "messages", "replies"):
            getattr(total, name).extend(getattr(chunk, name))
        total.completion += chunk.completion
        total.billable += chunk.billable
        total.truncated += chunk.truncated
        total.cut += chunk.cut
        total.encoding, total.exact = chunk.encoding, chunk.exact
        if total.labels is not None:
            if chunk.labels is None:
                total.labels = None
            else:
                total.labels.update(chunk.labels)
                if len(total.labels) > LABEL_MAX_CLASSES:
                    total.labels = None
        if progress is not None:
            progress(chunk.size)

    def overlap(self, train: _Tally) -> Issue | None:
        """Examples (of this validation file) that are near duplicates of training ones."""
        import numpy as np

        from bot.datasets.report import Issue

        near = np.frombuffer(self.total.near_hashes, dtype=np.uint64)
        mask = np.isin(near, np.frombuffer(train.total.near_hashes, dtype=np.uint64))
        if not mask.any():
            return None
        lines = np.frombuffer(self.total.lines, dtype=np.uint64)[mask][:FIRST_LINES]
        return Issue(count=int(mask.sum()), lines=[int(line) for line in lines])

    def report(self, settings: Settings, min_examples: int) -> ValidationReport:
        """The report of the file, from everything merged."""
        import numpy as np  # only the parent needs it, once per file

        from bot.datasets.report import Issue, Stats, Tokens, ValidationReport

        total = self.total
        errors = {name: Issue(count=n, lines=lines) for name, (n, lines) in total.errors.items()}
        warnings = {
            name: Issue(count=n, lines=lines) for name, (n, lines) in total.warnings.items()
        }
        valid = total.examples - total.invalid
        if valid < min_examples:
            errors["too_few_examples"] = Issue(count=1, lines=[])
        lines = np.frombuffer(total.lines, dtype=np.uint64)
        exact = np.frombuffer(total.hashes, dtype=np.uint64)
        near = np.frombuffer(total.near_hashes, dtype=np.uint64)
        repeated = _repeats(exact)
        near_repeated = _repeats(near) & ~repeated
        for name, mask in (
            ("duplicate_examples", repeated),
            ("near_duplicate_examples", near_repeated),
        ):
            if mask.any():
                first = lines[mask][:FIRST_LINES]
                warnings[name] = Issue(count=int(mask.sum()), lines=[int(x) for x in first])
        labels = self._labels(valid)
        if labels is not None:
            biggest = max(labels.values())
            minority = [
                count
                for count in labels.values()
                if count * LABEL_MAX_RATIO <= biggest or count < LABEL_MIN_SHARE * valid
            ]
            if minority:
                warnings["label_imbalance"] = Issue(count=len(minority), lines=[])
        elif total.short_replies[0]:
            count, first = total.short_replies
            warnings["short_assistant_replies"] = Issue(count=count, lines=first)
        if not total.encoding:  # no block at all: an empty file
            counter = counter_for(settings.model, settings.tokenizer)
            total.encoding, total.exact = counter.encoding, counter.exact
        tokens_total = int(np.frombuffer(total.tokens, dtype=np.uint32).sum(dtype=np.uint64))
        return ValidationReport(
            file=str(settings.path),
            format=settings.fmt,
            examples=total.examples,
            invalid_examples=total.invalid,
            errors=dict(sorted(errors.items())),
            warnings=dict(sorted(warnings.items())),
            stats=Stats(
                examples=valid,
                blank_lines=total.blank,
                messages_per_example=_distribution(total.messages),
                tokens_per_example=_distribution(total.tokens),
                tokens_per_assistant_reply=_distribution(total.replies),
                mean_prompt_tokens=(tokens_total - total.completion) / valid if valid else 0.0,
                mean_completion_tokens=total.completion / valid if valid else 0.0,
                labels=labels,
            ),
            tokens=Tokens(
                total=total.billable,
                encoding=total.encoding,
                exact=total.exact,
                max_example_tokens=settings.max_example_tokens,
                truncated_examples=total.truncated,
                tokens_cut=total.cut,
            ),
            usable=not errors,
        )

    def _labels(self, valid: int) -> dict[str, int] | None:
        """Class counts, most common first, when the final replies look like labels."""
        labels = self.total.labels
        if not labels or len(labels) < 2 or valid < 2 * len(labels):
            return None
        return dict(labels.most_common())


def _merge(entry: list[Any], count: int, lines: list[int]) -> None:
    entry[0] += count
    entry[1].extend(lines[: FIRST_LINES - len(entry[1])])


def _repeats(hashes: Any) -> Any:
    """Boolean mask: True where the same hash occurred at an earlier index."""
    import numpy as np

    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    mask = np.zeros(len(hashes), dtype=bool)
    mask[order[1:]] = ordered[1:] == ordered[:-1]
    return mask


def _distribution(values: array[int]) -> Distribution | None:
    if not values:
        return None
    import numpy as np

    from bot.datasets.report import Distribution

    data = np.frombuffer(values, dtype=np.dtype(values.typecode))
    p5, median, p95 = np.percentile(data, [5, 50, 95])
    return Distribution(
        min=int(data.min()),
        p5=float(p5),
        median=float(median),
        p95=float(p95),
        max=int(data.max()),
        mean=float(data.mean()),
    )
