"""The durable job store (SQLAlchemy Core, same database as the checklists): jobs,
every status transition and backend event, delivered notifications, and the audit
log. Uniqueness constraints do the concurrency work: a launch id is claimed once,
an event or a notification is recorded once, whichever replica gets there first."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from bot.db import metadata
from bot.jobs.backend import TERMINAL, JobStatus, Outcome, Progress
from bot.jobs.spec import JobSpec

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("launch_id", sa.String(64), nullable=False, unique=True),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(128)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("checklist_id", sa.String(32), index=True),
    sa.Column("requested_by", sa.String(64)),
    sa.Column("channel", sa.String(64), index=True),
    sa.Column("thread_ts", sa.String(32)),
    sa.Column("progress", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("cursor", sa.String(128)),
    sa.Column("cancelled_by", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

job_events = sa.Table(
    "job_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(16), sa.ForeignKey("jobs.id"), nullable=False, index=True),
    sa.Column("key", sa.String(160), nullable=False),  # "status:running", "backend:<id>"
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("job_id", "key"),
)

notifications = sa.Table(
    "notifications", metadata,
    sa.Column("job_id", sa.String(16), sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),  # a status, or "progress"
    sa.Column("message_ts", sa.String(32)),  # null: claimed, delivery not confirmed
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(64)),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Job:
    id: str
    launch_id: str
    backend: str
    external_id: str | None
    status: JobStatus
    spec: JobSpec
    progress: Progress | None
    outcome: Outcome | None
    error: str | None
    cursor: str | None
    cancelled_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str | None
    action: str
    target: str | None
    allowed: bool
    reason: str


def _job(row: Any) -> Job:
    return Job(
        id=row.id, launch_id=row.launch_id, backend=row.backend,
        external_id=row.external_id, status=JobStatus(row.status),
        spec=JobSpec.model_validate_json(row.spec),
        progress=Progress(**json.loads(row.progress)) if row.progress else None,
        outcome=Outcome(**json.loads(row.outcome)) if row.outcome else None,
        error=row.error, cursor=row.cursor, cancelled_by=row.cancelled_by,
        created_at=row.created_at, updated_at=row.updated_at)


class JobStore:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # -- jobs ---------------------------------------------------------------------
    def claim(self, spec: JobSpec) -> tuple[Job, bool]:
        """Insert a PENDING job for `spec.launch_id`; (job, True) the first time,
        (the existing job, False) for every later or concurrent claim."""
        now = _now()
        try:
            with self._engine.begin() as conn:
                conn.execute(jobs.insert().values(
                    id=uuid.uuid4().hex[:12], launch_id=spec.launch_id, backend=spec.backend,
                    status=JobStatus.PENDING.value, spec=spec.model_dump_json(),
                    checklist_id=spec.checklist_id, requested_by=spec.requested_by,
                    channel=spec.channel, thread_ts=spec.thread_ts,
                    created_at=now, updated_at=now))
            created = True
        except sa.exc.IntegrityError:
            created = False
        job = self.by_launch_id(spec.launch_id)
        assert job is not None  # inserted above, by us or by a concurrent claim
        return job, created

    def get(self, job_id: str) -> Job | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(
                sa.or_(jobs.c.id == job_id, jobs.c.external_id == job_id))).first()
        return _job(row) if row else None

    def by_launch_id(self, launch_id: str) -> Job | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.launch_id == launch_id)).first()
        return _job(row) if row else None

    def active(self) -> list[Job]:
        terminal = [s.value for s in TERMINAL]
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(jobs).where(jobs.c.status.not_in(terminal))
                                .order_by(jobs.c.created_at)).all()
        return [_job(r) for r in rows]

    def recent(self, limit: int = 10, channel: str | None = None,
               checklist_id: str | None = None, requested_by: str | None = None
               ) -> list[Job]:
        query = sa.select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
        if channel is not None:
            query = query.where(jobs.c.channel == channel)
        if requested_by is not None:
            query = query.where(jobs.c.requested_by == requested_by)
        if checklist_id is not None:
            query = query.where(jobs.c.checklist_id == checklist_id)
        with self._engine.connect() as conn:
            return [_job(r) for r in conn.execute(query).all()]

    def set_external_id(self, job_id: str, external_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(
                external_id=external_id, updated_at=_now()))

    def transition(self, job_id: str, status: JobStatus, *, message: str,
                   error: str | None = None, outcome: Outcome | None = None) -> bool:
        """Move the job to `status` and record the transition once. False when the job
        is already there or already finished (a terminal status never changes)."""
        terminal = [s.value for s in TERMINAL]
        values: dict[str, Any] = {"status": status.value, "updated_at": _now()}
        if error is not None:
            values["error"] = error
        if outcome is not None:
            values["outcome"] = json.dumps(asdict(outcome))
        with self._engine.begin() as conn:
            changed = conn.execute(jobs.update().where(
                jobs.c.id == job_id, jobs.c.status != status.value,
                jobs.c.status.not_in(terminal)).values(**values)).rowcount
            if changed:
                self._event(conn, job_id, f"status:{status.value}", message)
        return bool(changed)

    def record_progress(self, job_id: str, progress: Progress, cursor: str | None) -> bool:
        """Store the latest progress; True when it differs from what was stored."""
        encoded = json.dumps(asdict(progress))
        with self._engine.begin() as conn:
            return bool(conn.execute(jobs.update().where(
                jobs.c.id == job_id,
                sa.or_(jobs.c.progress.is_(None), jobs.c.progress != encoded),
            ).values(progress=encoded, cursor=cursor, updated_at=_now())).rowcount)

    def mark_cancel(self, job_id: str, by: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(cancelled_by=by))

    # -- events -------------------------------------------------------------------
    def record_event(self, job_id: str, key: str, message: str) -> bool:
        """Record a backend event once; False when it was already recorded."""
        try:
            with self._engine.begin() as conn:
                self._event(conn, job_id, key, message)
            return True
        except sa.exc.IntegrityError:
            return False

    @staticmethod
    def _event(conn: sa.Connection, job_id: str, key: str, message: str) -> None:
        conn.execute(job_events.insert().values(job_id=job_id, key=key[:160],
                                                message=message, created_at=_now()))

    def events(self, job_id: str) -> list[tuple[str, str]]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(job_events.c.key, job_events.c.message).where(
                job_events.c.job_id == job_id).order_by(job_events.c.id)).all()
        return [(r.key, r.message) for r in rows]

    # -- notifications ------------------------------------------------------------
    def claim_notification(self, job_id: str, key: str) -> bool:
        """True for the one caller that may deliver (job, key)."""
        try:
            with self._engine.begin() as conn:
                conn.execute(notifications.insert().values(job_id=job_id, key=key,
                                                           claimed_at=_now()))
            return True
        except sa.exc.IntegrityError:
            return False

    def confirm_notification(self, job_id: str, key: str, message_ts: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(notifications.update().where(
                notifications.c.job_id == job_id, notifications.c.key == key,
            ).values(message_ts=message_ts))

    def notification(self, job_id: str, key: str) -> tuple[bool, str | None]:
        """(claimed, message ts) of a notification."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(notifications.c.message_ts).where(
                notifications.c.job_id == job_id, notifications.c.key == key)).first()
        return (row is not None, row.message_ts if row else None)

    def claim_age_s(self, job_id: str, key: str) -> float:
        with self._engine.connect() as conn:
            claimed = conn.execute(sa.select(notifications.c.claimed_at).where(
                notifications.c.job_id == job_id, notifications.c.key == key)).scalar_one()
        if claimed.tzinfo is None:  # SQLite returns naive UTC
            claimed = claimed.replace(tzinfo=dt.UTC)
        return (_now() - claimed).total_seconds()

    def unconfirmed_notifications(self, job_id: str) -> list[str]:
        with self._engine.connect() as conn:
            return list(conn.execute(sa.select(notifications.c.key).where(
                notifications.c.job_id == job_id,
                notifications.c.message_ts.is_(None))).scalars())

    # -- audit --------------------------------------------------------------------
    def audit(self, actor: str | None, action: str, target: str | None, allowed: bool,
              reason: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(audit_log.insert().values(at=_now(), actor=actor, action=action,
                                                   target=target, allowed=allowed,
                                                   reason=reason))

    def audit_entries(self, limit: int = 50) -> list[AuditEntry]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())
                                .limit(limit)).all()
        return [AuditEntry(r.at, r.actor, r.action, r.target, r.allowed, r.reason)
                for r in rows]
