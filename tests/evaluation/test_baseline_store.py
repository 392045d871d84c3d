"""Recorded baselines: saved with the held-out file's hash, the latest one found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

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


def test_the_table_is_created_on_an_engine_opened_without_it(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    store = BaselineStore(engine)
    store.save(baseline(0.5, dt.datetime.now(dt.UTC)))
    assert BaselineStore(engine).latest_for(SHA) is not None
