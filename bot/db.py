"""The relational store for checklists (and, later, jobs): SQLAlchemy Core over a
SQLite file under the data dir, or `DATABASE_URL` (Postgres) when several bot
replicas share it."""

from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from bot.errors import ConfigError

metadata = sa.MetaData()
# The modules that define tables on `metadata`; imported before `create_all`, so
# every table exists whichever store happens to open the database first.
TABLE_MODULES = ("bot.checklist.store", "bot.jobs.store", "bot.evaluation.store")


def database_url(explicit: str | None, data_dir: Path) -> str:
    return explicit or f"sqlite:///{data_dir / 'ft-advisor.sqlite3'}"


def open_engine(url: str) -> sa.Engine:
    """An engine with every table created. SQLite gets WAL and a busy timeout so the
    CLI, the bot and its worker threads can share the file."""
    try:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, future=True)
    except (sa.exc.ArgumentError, ModuleNotFoundError, OSError) as exc:
        raise ConfigError(f"DATABASE_URL cannot be used: {type(exc).__name__}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    for module in TABLE_MODULES:
        importlib.import_module(module)
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
