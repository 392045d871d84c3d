"""Recorded baselines: every prompted-baseline run, kept with the sha256 of the
held-out file it scored, so the checklist can cite the measured score for that file."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.db import metadata

if TYPE_CHECKING:
    from bot.evaluation.session import BaselineResult

baselines = sa.Table(
    "baselines", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("evaluator", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("examples", sa.Integer, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("held_out_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("requested_by", sa.String(64)),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Baseline:
    """One baseline run: `score` in [0, 1] (the evaluator's mean) over `examples`."""

    model: str
    evaluator: str
    score: float
    examples: int
    failures: int  # replies that could not be scored
    held_out_sha256: str
    requested_by: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: dt.datetime = field(default_factory=_now)

    @classmethod
    def of(cls, result: BaselineResult, held_out_sha256: str,
           requested_by: str | None) -> Baseline:
        scored = result.evaluation
        return cls(model=result.model, evaluator=scored.evaluator, score=scored.mean,
                   examples=result.examples, failures=scored.failures,
                   held_out_sha256=held_out_sha256, requested_by=requested_by)


class BaselineStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def save(self, baseline: Baseline) -> None:
        with self._engine.begin() as conn:
            conn.execute(baselines.insert().values(
                id=baseline.id, created_at=baseline.created_at, model=baseline.model,
                evaluator=baseline.evaluator, score=baseline.score,
                examples=baseline.examples, failures=baseline.failures,
                held_out_sha256=baseline.held_out_sha256, requested_by=baseline.requested_by))

    def latest_for(self, held_out_sha256: str) -> Baseline | None:
        """The most recent baseline measured on the file with this content hash."""
        query = (sa.select(baselines).where(baselines.c.held_out_sha256 == held_out_sha256)
                 .order_by(baselines.c.created_at.desc()).limit(1))
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _baseline(row)


def _baseline(row: Any) -> Baseline:
    created = row.created_at
    if created.tzinfo is None:  # SQLite returns naive UTC
        created = created.replace(tzinfo=dt.UTC)
    return Baseline(model=row.model, evaluator=row.evaluator, score=row.score,
                    examples=row.examples, failures=row.failures,
                    held_out_sha256=row.held_out_sha256, requested_by=row.requested_by,
                    id=row.id, created_at=created)
