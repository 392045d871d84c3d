"""Speed benchmarks for the advisor core, run by hand (not part of the test suite):

    .venv/bin/python tests/perf/bench_advisor.py [--runs N]

Each comparison is measured side by side in the same run, because this machine is noisy:
1. cold start: `ft-advisor ask` in a new process on an already-ingested store, next to
   a bare `python -c pass` and an import of langchain_chroma (the import floor);
2. warm answer: Advisor.answer p50/p95 over held-out questions, next to the floor of
   embedding the query and a NumPy brute-force top-k over the same stored vectors;
3. ingest: chunks/s into a fresh embedded store, next to the raw encoder on the same
   chunks; and re-ingest of the unchanged corpus as a fraction of the first ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.paths import bundled_dir
from bot.rag.documents import find_files, read_text, split_document
from bot.rag.ingest import ingest
from bot.rag.store import open_client, open_vectorstore
from bot.wiring import build_services

QUESTIONS = Path(__file__).resolve().parents[1] / "advice" / "data" / "heldout_questions.jsonl"


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def cold_start(data_dir: Path, runs: int) -> dict[str, float]:
    env = {**os.environ, "FT_DATA_DIR": str(data_dir)}
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"):
        env.pop(name, None)
    py = sys.executable
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "import langchain_chroma": [py, "-c", "import langchain_chroma"],
        "ft-advisor ask": [py, "-m", "bot", "ask", "Should we fine-tune on our handbook?"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so noise hits all three alike
        for name, cmd in commands.items():
            times[name].append(_wall(cmd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def warm(data_dir: Path, questions: list[str]) -> dict[str, float]:
    services = build_services(Settings(FT_DATA_DIR=data_dir))
    advisor = services.advisor
    embed = services.embedder.encode
    stored = services.vectorstore.get(include=["embeddings"])
    matrix = np.asarray(stored["embeddings"], dtype=np.float32)
    advisor.answer(questions[:3])  # warm-up
    answer_ms, floor_ms = [], []
    for question in questions:
        start = time.perf_counter()
        advisor.answer([question])
        answer_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        scores = matrix @ embed([question])[0]
        np.argpartition(-scores, 4)[:4]
        floor_ms.append((time.perf_counter() - start) * 1000)
    return {
        "answer_p50_ms": statistics.median(answer_ms),
        "answer_p95_ms": float(np.percentile(answer_ms, 95)),
        "floor_p50_ms": statistics.median(floor_ms),
        "ratio_p50": statistics.median(answer_ms) / statistics.median(floor_ms),
    }


def ingest_speed(tmp: Path) -> dict[str, float]:
    folder = bundled_dir("knowledge")
    chunks = [c for f in find_files(folder)
              for c in split_document(read_text(f), f.name, str(folder), f.stem)]
    settings = Settings(FT_DATA_DIR=tmp / "ingest", FT_COLLECTION="bench_ingest")
    services = build_services(settings)
    embedder = services.embedder
    embedder.encode(["warm-up"])
    start = time.perf_counter()
    embedder.encode([c.text for c in chunks])
    raw = time.perf_counter() - start
    store = open_vectorstore(settings, embedder, open_client(settings))
    first = ingest(store, [folder], progress=False)
    second = ingest(store, [folder], progress=False)
    assert second.added == 0
    return {
        "chunks": len(chunks),
        "encoder_chunks_per_s": len(chunks) / raw,
        "ingest_chunks_per_s": first.chunks / first.seconds,
        "ingest_vs_encoder": (first.chunks / first.seconds) / (len(chunks) / raw),
        "reingest_s": second.seconds,
        "reingest_fraction": second.seconds / first.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for line in QUESTIONS.read_text().splitlines()][:60]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data_dir = tmp / "data"
        build_services(Settings(FT_DATA_DIR=data_dir)).advisor.answer(["warm-up"])
        results = {
            "ingest": ingest_speed(tmp),
            "warm": warm(data_dir, questions),
            "cold_start_median_s": cold_start(data_dir, args.runs),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
