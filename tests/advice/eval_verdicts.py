"""Scores the verdict engine on labelled questions: `python tests/advice/eval_verdicts.py
[FILE.jsonl ...] [--show-errors]`. Prints accuracy per file and a confusion summary.
A file holds questions ({"q", "verdict"}) or threads ({"turns", "verdicts"}), whose
every turn is scored on the conversation up to it. `--model FILE` scores with another
trained verdict model, `--rules-only` without one."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from pathlib import Path

from bot.advice.exemplars import EXEMPLARS_FILE, build_index
from bot.advice.signals import extract_signals
from bot.advice.train_verdict_model import labelled_cases
from bot.advice.verdict import decide
from bot.advice.verdict_model import MODEL_FILE, VerdictModel
from bot.rag.embeddings import MiniLMEmbedder

TODAY = dt.date(2026, 11, 28)
HERE = Path(__file__).parent


def run(files: list[Path], show_errors: bool, ids: str, exemplars: Path,
        model_file: Path | None) -> None:
    embedder = MiniLMEmbedder()
    model = VerdictModel(embedder, model_file) if model_file else None
    index = build_index(embedder.encode, embedder.model_name, Path("/tmp/ft-advisor-cache"),
                        exemplars)
    for file in files:
        cases = labelled_cases(file)
        if ids != "all":
            parity = 1 if ids == "odd" else 0
            cases = [c for c in cases if int(c[0].split(".")[0][1:]) % 2 == parity]
        confusion: Counter[tuple[str, str]] = Counter()
        for row_id, turns, want in cases:
            signals = extract_signals(turns, embedder.encode_units, index)
            estimate = model.probabilities(turns) if model else None
            got = decide(signals, TODAY, turns[-1], estimate).verdict.value
            confusion[(want, got)] += 1
            if got != want and show_errors:
                print(f"  {row_id} want={want} got={got} :: {' / '.join(turns)[-160:]}")
                print(f"      {signals.to_dict()}")
                if estimate:
                    print(f"      model: { {v.value: round(p, 2) for v, p in estimate.items()} }")
        right = sum(n for (want, got), n in confusion.items() if want == got)
        total = sum(confusion.values())
        print(f"{file.name} [{ids}]: {right}/{total} = {right / total:.1%}")
        wrong = {k: v for k, v in confusion.items() if k[0] != k[1]}
        print("  errors (want, got):", dict(sorted(wrong.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--ids", choices=["all", "odd", "even"], default="all")
    parser.add_argument("--exemplars", type=Path, default=EXEMPLARS_FILE,
                        help="an exemplar file to try instead of the shipped one")
    parser.add_argument("--model", type=Path, default=MODEL_FILE,
                        help="a trained verdict model to try instead of the shipped one")
    parser.add_argument("--rules-only", action="store_true", help="score without the model")
    args = parser.parse_args()
    run(args.files or [HERE / "data" / "heldout_questions.jsonl"], args.show_errors, args.ids,
        args.exemplars, None if args.rules_only else args.model)
