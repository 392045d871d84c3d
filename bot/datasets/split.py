"""A deterministic held-out split that never puts a duplicate on both sides.

Each example goes to the validation file when a keyed hash (blake2b, the seed as key)
of its normalised content (the near-duplicate key of `formats`: each text's role and
casefolded form without punctuation and whitespace) falls below `fraction`. Exact and
near duplicates share that key, so they always land on the same side, and the same
file, fraction and seed always give the same split. Lines that are not JSON objects are
skipped; the others are written as they are (without surrounding whitespace). Streams
the input; writes both files atomically (a temporary file in `out_dir`, renamed when
complete).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

import orjson

from bot.datasets.formats import check_example, detect_format, digest, normalise
from bot.datasets.tokens import LruCache
from bot.datasets.validate import open_dataset, read_chunks
from bot.errors import InputError

_BOM = b"\xef\xbb\xbf"


class SplitCounts(NamedTuple):
    """Examples written to each file, and lines skipped (blank lines are not counted)."""

    train: int
    validation: int
    skipped: int


class SplitResult(NamedTuple):
    """`train_path, validation_path, counts = split_dataset(...)`."""

    train_path: Path
    validation_path: Path
    counts: SplitCounts

    @property
    def train_examples(self) -> int:
        return self.counts.train

    @property
    def validation_examples(self) -> int:
        return self.counts.validation


def split_dataset(
    path: Path, out_dir: Path, fraction: float = 0.1, seed: int | str = 0
) -> SplitResult:
    """Writes `<stem>.train.jsonl` and `<stem>.validation.jsonl` into `out_dir`.
    Raises `InputError` if the input cannot be read or the output written."""
    if not 0 < fraction < 1:
        raise InputError(f"The validation fraction must be between 0 and 1, not {fraction}.")
    train_path = out_dir / f"{path.stem}.train.jsonl"
    validation_path = out_dir / f"{path.stem}.validation.jsonl"
    chooser = _Chooser(fraction, seed)
    counts = [0, 0, 0]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with (
            open_dataset(path) as source,
            _atomic(train_path) as train,
            _atomic(validation_path) as validation,
        ):
            outputs = (train, validation)
            for block in read_chunks(source):
                if block.skipped:
                    counts[2] += 1
                    continue
                data = block.data.removeprefix(_BOM) if block.first_line == 1 else block.data
                for raw in data.split(b"\n"):
                    raw = raw.strip()
                    if not raw:
                        continue
                    side = chooser.side(raw)
                    if side is None:
                        counts[2] += 1
                    else:
                        outputs[side].write(raw + b"\n")
                        counts[side] += 1
    except OSError as exc:
        raise InputError(f"Cannot split {path} into {out_dir}: {exc.strerror or exc}.") from None
    return SplitResult(train_path, validation_path, SplitCounts(*counts))


class _Chooser:
    """Which side (0 train, 1 validation) a line goes to; None if it is not an object."""

    def __init__(self, fraction: float, seed: int | str) -> None:
        self.key = hashlib.blake2b(str(seed).encode(), digest_size=32).digest()
        self.threshold = int(fraction * 2**64)
        self.digest_of = LruCache(lambda text: digest(normalise(text)))

    def side(self, raw: bytes) -> int | None:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if type(obj) is not dict:
            return None
        fmt = detect_format([obj])
        texts = check_example(obj, "chat" if fmt == "unknown" else fmt).texts
        material = (
            b"".join(tag + self.digest_of(text) for tag, text, _ in texts)
            if texts
            else raw
        )
        value = hashlib.blake2b(material, key=self.key, digest_size=8).digest()
        return int(int.from_bytes(value, "little") < self.threshold)


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file next to `path` that replaces it only if the block succeeds."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
