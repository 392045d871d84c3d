"""Checklist results, kept with the dataset's content hash so a launch can verify
that the data it trains on is the data that passed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.checklist.result import ChecklistResult
from bot.db import metadata

checklists = sa.Table(
    "checklists", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("dataset_sha256", sa.String(64), index=True),
    sa.Column("train_sha256", sa.String(64)),
    sa.Column("requested_by", sa.String(64)),
    sa.Column("channel", sa.String(64)),
    sa.Column("thread_ts", sa.String(32)),
    sa.Column("payload", sa.Text, nullable=False),
)


class ChecklistStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def save(self, result: ChecklistResult) -> None:
        with self._engine.begin() as conn:
            conn.execute(checklists.insert().values(
                id=result.id, created_at=result.created_at, passed=result.passed,
                dataset_sha256=result.dataset.sha256 if result.dataset else None,
                train_sha256=result.dataset.train_sha256 if result.dataset else None,
                requested_by=result.requested_by, channel=result.channel,
                thread_ts=result.thread_ts, payload=result.model_dump_json(),
            ))

    def get(self, checklist_id: str) -> ChecklistResult | None:
        with self._engine.connect() as conn:
            payload = conn.execute(sa.select(checklists.c.payload).where(
                checklists.c.id == checklist_id)).scalar_one_or_none()
        return None if payload is None else ChecklistResult.model_validate_json(payload)

    def recent(self, limit: int = 10, since: dt.datetime | None = None
               ) -> list[ChecklistResult]:
        query = sa.select(checklists.c.payload).order_by(checklists.c.created_at.desc())
        if since is not None:
            query = query.where(checklists.c.created_at >= since)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).scalars().all()
        return [ChecklistResult.model_validate_json(p) for p in rows]
