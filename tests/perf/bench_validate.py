"""Dataset validator benchmark, run by hand (not part of the test suite):

    .venv/bin/python tests/perf/bench_validate.py [--examples 100000] [--gb 1]

Generates a realistic chat fine-tuning file (one shared system prompt, user and
assistant texts of varied length with some typographic marks, multi-turn examples and
tool calls) in a temporary folder, then runs side by side, each in its own process so
their memory peaks are separate:

1. a straightforward REFERENCE validator: `json.loads` per line, the usual checks (keys,
   roles, content types, last message is the assistant's) and `encode()` of every
   message's texts with bpe_openai's o200k_base, summing tokens with the chat framing;
2. `validate_dataset` (all of its checks, exact counts, duplicates, statistics).

Timed runs are interleaved (`--runs`, best kept: the machine is shared and noisy) and
separate from the runs whose memory is sampled (sampling costs CPU). It prints
examples/s of each, the ratio, and the peak memory of each process tree:
the sum of RSS (shared pages counted once per process), the sum of PSS (shared pages
split between the processes that share them: the physical memory used) and getrusage's
maxrss of the process and of its largest child. `--gb N` also generates an N GB file
and reports the same for `validate_dataset` alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

VOCABULARY = (
    "the model answers customer questions about billing refunds shipping and account "
    "access in a calm precise voice it should cite the policy section say when it does "
    "not know and never invent order numbers dates prices or names our support team "
    "handles roughly two thousand tickets a week across email chat and phone most are "
    "simple but some need an escalation to a human agent with the full history attached "
    "café naïve résumé déjà vu über straße"
)
WORDS = VOCABULARY.split()
MARKS = [".", ".", ".", ",", "?", "!", ";", ":", " —", "’s", " (see § 4.2)", " 42", " 2024"]


def _sentences(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 24))]
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + rng.choice(MARKS))
    return out


def _text(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    sentences = rng.choices(pool, k=max(1, int(rng.triangular(low, high, low)) // 90))
    return " ".join(sentences) + f" [{rng.randrange(10**9)}]"


def generate(path: Path, examples: int | None, size: int | None, seed: int = 7) -> int:
    """Writes the file; returns its number of examples."""
    rng = random.Random(seed)
    pool = _sentences(rng, 20_000)
    system = "You are Ava, the support assistant of Example Corp. " + " ".join(pool[:14])
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup_order",
                "description": "Find an order by its number.",
                "parameters": {
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}},
                    "required": ["order_id"],
                },
            },
        }
    ]
    written = count = 0
    with path.open("wb") as file:
        while (examples is None or count < examples) and (size is None or written < size):
            messages = [{"role": "system", "content": system}]
            for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 4)):
                messages.append({"role": "user", "content": _text(rng, pool, 20, 1500)})
                messages.append({"role": "assistant", "content": _text(rng, pool, 20, 2500)})
            example: dict[str, object] = {"messages": messages}
            if rng.random() < 0.1:
                call_id = f"call_{count}"
                arguments = json.dumps({"order_id": str(rng.randrange(10**8))})
                function = {"name": "lookup_order", "arguments": arguments}
                messages[-1:] = [
                    {
                        "role": "assistant",
                        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
                    },
                    {"role": "tool", "tool_call_id": call_id, "content": '{"status": "shipped"}'},
                    messages[-1],
                ]
                example["tools"] = tools
            line = orjson.dumps(example) + b"\n"
            file.write(line)
            written += len(line)
            count += 1
    return count


# ---- the reference validator -------------------------------------------------------

ROLES = {"system", "user", "assistant", "tool"}
KEYS = {"role", "content", "name", "tool_calls", "tool_call_id", "weight"}


def reference(path: Path) -> dict[str, int]:
    import bpe_openai

    encoding = bpe_openai.get_encoding("o200k_base")
    examples = invalid = tokens = 0
    with path.open(encoding="utf-8") as file:
        for line in file:
            if not line.strip():
                continue
            examples += 1
            try:
                example = json.loads(line)
            except json.JSONDecodeError:
                invalid += 1
                continue
            messages = example.get("messages") if isinstance(example, dict) else None
            if not _reference_ok(messages):
                invalid += 1
                continue
            for message in messages:
                tokens += 3 + len(encoding.encode(message["role"]))
                if message.get("content"):
                    tokens += len(encoding.encode(message["content"]))
                for call in message.get("tool_calls") or ():
                    tokens += len(encoding.encode(call["function"]["name"]))
                    tokens += len(encoding.encode(call["function"]["arguments"]))
            tokens += 3
    return {"examples": examples, "invalid": invalid, "tokens": tokens}


def _reference_ok(messages: object) -> bool:
    if not isinstance(messages, list) or not messages:
        return False
    for message in messages:
        if not isinstance(message, dict) or set(message) - KEYS:
            return False
        if message.get("role") not in ROLES:
            return False
        content = message.get("content")
        if message["role"] == "assistant" and message.get("tool_calls"):
            if content is not None and not isinstance(content, str):
                return False
        elif not isinstance(content, str) or not content:
            return False
    return messages[-1].get("role") == "assistant"


def ours(path: Path) -> dict[str, Any]:
    from bot.datasets.validate import validate_dataset

    report = validate_dataset(path)
    return {
        "examples": report.examples,
        "invalid": report.invalid_examples,
        "tokens": report.tokens.total,
        "warnings": {name: issue.count for name, issue in report.warnings.items()},
    }


def _child(which: str, path: Path) -> None:
    """Runs one validator; prints its result, wall time and getrusage peaks as JSON."""
    start = time.perf_counter()
    result = reference(path) if which == "reference" else ours(path)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({**result, "seconds": seconds, "maxrss_mb": own, "child_maxrss_mb": children}))


# ---- memory of a process tree --------------------------------------------------------


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = {}
    for line in text.splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields.get("Rss", 0), fields.get("Pss", 0)


def measure(which: str, path: Path, sample: bool) -> dict[str, Any]:
    """Runs a validator in its own process; with `sample`, the memory of its process
    tree is read from /proc every 100 ms (which costs CPU, so timed runs don't)."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--run", which, str(path)], stdout=subprocess.PIPE, text=True
    )
    peaks = {"rss": 0, "pss": 0}
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(0.1):
            rss = pss = 0
            for pid in _tree(process.pid):
                one_rss, one_pss = _memory_kb(pid)
                rss, pss = rss + one_rss, pss + one_pss
            peaks["rss"], peaks["pss"] = max(peaks["rss"], rss), max(peaks["pss"], pss)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample:
        thread.start()
    out, _ = process.communicate()
    done.set()
    if sample:
        thread.join()
    if process.returncode:
        raise SystemExit(f"{which} failed with exit status {process.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return {**result, "tree_rss_mb": peaks["rss"] / 1024, "tree_pss_mb": peaks["pss"] / 1024}


def _show(name: str, result: dict[str, Any], size: int) -> None:
    rate = result["examples"] / result["seconds"]
    print(
        f"{name:<10} {result['examples']:>9,} examples  {result['seconds']:7.2f} s  "
        f"{rate:>9,.0f} examples/s  {size / result['seconds'] / 2**20:6.1f} MB/s  "
        f"tokens {result['tokens']:,}  invalid {result['invalid']:,}"
    )
    print(
        f"{'':<10} peak memory: tree RSS {result['tree_rss_mb']:.0f} MB, tree PSS "
        f"{result['tree_pss_mb']:.0f} MB, maxrss self {result['maxrss_mb']:.0f} MB + largest "
        f"child {result['child_maxrss_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (best kept)")
    parser.add_argument("--gb", type=float, default=0, help="also validate an N GB file")
    parser.add_argument("--run", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        _child(args.run[0], Path(args.run[1]))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        start = time.perf_counter()
        count = generate(path, args.examples, None)
        size = path.stat().st_size
        print(
            f"generated {count:,} examples, {size / 2**20:.0f} MB "
            f"in {time.perf_counter() - start:.1f} s"
        )
        timed: dict[str, list[dict[str, Any]]] = {"reference": [], "ours": []}
        for _ in range(args.runs):  # interleaved, so noise from other work hits both alike
            for which in timed:
                timed[which].append(measure(which, path, sample=False))
        results = {}
        for which, runs in timed.items():
            best = min(runs, key=lambda run: run["seconds"])
            sampled = measure(which, path, sample=True)
            results[which] = {**best, **{k: sampled[k] for k in ("tree_rss_mb", "tree_pss_mb")}}
            seconds = ", ".join(f"{run['seconds']:.2f}" for run in runs)
            print(f"{which} runs: {seconds} s")
        _show("reference", results["reference"], size)
        _show("ours", results["ours"], size)
        ratio = results["reference"]["seconds"] / results["ours"]["seconds"]
        print(f"throughput ratio ours/reference (best runs): {ratio:.2f}x")
        print(f"our warnings: {results['ours'].get('warnings')}")
        if args.gb:
            path.unlink()
            start = time.perf_counter()
            count = generate(path, None, int(args.gb * 2**30))
            size = path.stat().st_size
            print(
                f"generated {count:,} examples, {size / 2**30:.2f} GB "
                f"in {time.perf_counter() - start:.1f} s"
            )
            _show("ours", measure("ours", path, sample=True), size)


if __name__ == "__main__":
    main()
