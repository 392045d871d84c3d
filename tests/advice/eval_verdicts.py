"""Scores the verdict engine on labelled questions: `python tests/advice/eval_verdicts.py
[FILE.jsonl ...] [--show-errors]`. Prints accuracy per file and a confusion summary."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import Counter
from pathlib import Path

from bot.advice.exemplars import build_index
from bot.advice.signals import extract_signals
from bot.advice.verdict import decide
from bot.rag.embeddings import MiniLMEmbedder

TODAY = dt.date(2026, 11, 28)
HERE = Path(__file__).parent


def run(files: list[Path], show_errors: bool, ids: str) -> None:
    embedder = MiniLMEmbedder()
    index = build_index(embedder.encode, embedder.model_name, Path("/tmp/ft-advisor-cache"))
    for file in files:
        rows = [json.loads(line) for line in file.read_text().splitlines() if line.strip()]
        if ids == "odd":
            rows = [r for r in rows if int(r["id"][1:]) % 2 == 1]
        elif ids == "even":
            rows = [r for r in rows if int(r["id"][1:]) % 2 == 0]
        confusion: Counter[tuple[str, str]] = Counter()
        for row in rows:
            signals = extract_signals([row["q"]], embedder.encode_units, index)
            got = decide(signals, TODAY, row["q"]).verdict.value
            confusion[(row["verdict"], got)] += 1
            if got != row["verdict"] and show_errors:
                print(f"  {row['id']} want={row['verdict']} got={got} :: {row['q'][:160]}")
                print(f"      {signals.to_dict()}")
        right = sum(n for (want, got), n in confusion.items() if want == got)
        print(f"{file.name} [{ids}]: {right}/{len(rows)} = {right / len(rows):.1%}")
        wrong = {k: v for k, v in confusion.items() if k[0] != k[1]}
        print("  errors (want, got):", dict(sorted(wrong.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--ids", choices=["all", "odd", "even"], default="all")
    args = parser.parse_args()
    run(args.files or [HERE / "data" / "heldout_questions.jsonl"], args.show_errors, args.ids)
