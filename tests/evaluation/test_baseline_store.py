"""Recorded baselines: saved with the held-out file's hash, the latest one found."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from bot.db import database_url, open_engine
from bot.evaluation.store import Baseline, BaselineStore

SHA = "a" * 64


def baseline(score: float, at: dt.datetime, sha: str = SHA) -> Baseline:
    return Baseline(model="gpt-4.1-mini", evaluator="exact_match", score=score,
                    examples=400, failures=3, held_out_sha256=sha, requested_by="U1",
                    created_at=at)


def test_the_latest_baseline_for_a_file(tmp_path: Path) -> None:
    store = BaselineStore(open_engine(database_url(None, tmp_path)))
    day = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    older, newer = baseline(0.71, day), baseline(0.78, day + dt.timedelta(hours=2))
    for recorded in (newer, older, baseline(0.99, day + dt.timedelta(days=1), "b" * 64)):
        store.save(recorded)
    assert store.latest_for(SHA) == newer  # every field round-trips, created_at in UTC
    assert store.latest_for("c" * 64) is None


def test_opening_the_database_creates_every_table_whatever_was_imported(
        tmp_path: Path) -> None:
    # A fresh interpreter that imports only bot.db: no store module has registered
    # its table yet when the engine is opened.
    script = ("import sys, sqlalchemy as sa; from bot.db import open_engine; "
              "print(' '.join(sorted(sa.inspect(open_engine(sys.argv[1])).get_table_names())))")
    out = subprocess.run([sys.executable, "-c", script,
                          f"sqlite:///{tmp_path / 'fresh.sqlite3'}"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert {"baselines", "checklists", "jobs", "job_events", "notifications",
            "audit_log"} <= set(out)
