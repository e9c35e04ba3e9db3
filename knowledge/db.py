"""One engine and one sessionmaker per process and database URL.

Use a unit of work per operation: `with sessions(url).begin() as session: ...`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


@functools.lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """The process's engine for `url` (created on first use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives SQLite files no pool (NullPool): every unit of work opened a new
        # connection and ran the pragmas below, a fifth of the action server's CPU under load
        # (bench/README.md). A queue pool, as for the embedded tracker store (bot/stores.py)
        # and SQLAlchemy 2.0's default; a pooled connection is used by one thread at a time.
        options = {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10} if parsed.database not in (None, "", ":memory:") else {}
        engine = create_engine(url, future=True, connect_args={"timeout": 30, "check_same_thread": False}, **options)
        event.listen(engine, "connect", _foreign_keys_on)
        event.listen(engine, "connect", sqlite_embedded_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _foreign_keys_on(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def sqlite_embedded_pragmas(dbapi_connection, _record=None) -> None:
    """The standard settings of an embedded SQLite store, for an engine's "connect" event.

    WAL lets readers go on while one connection writes, and with `synchronous=NORMAL` a commit
    appends to the write-ahead log without waiting for the disk (the log is synced at each
    checkpoint): a commit costs microseconds instead of an fsync. The database stays
    consistent on any crash; a power cut (not a process crash) may lose the last commits
    before the latest checkpoint. PostgreSQL is what a company runs for stronger guarantees.
    The knowledge base and the embedded tracker store (bot/stores.py) both use these.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@functools.lru_cache(maxsize=None)
def sessions(url: str) -> "sessionmaker[Session]":
    """The process's sessionmaker for `url`."""
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


def upgrade_schema(database: str, url: str) -> str:
    """Migrate `database` ("knowledge" or "tracker", see `migrations`) at `url`; its new revision."""
    import migrations

    if database == "knowledge":
        engine = engine_for(url)
        migrations.upgrade(database, engine)
        return migrations.current(database, engine)
    engine = create_engine(url, future=True)  # the tracker store's database: Rasa's store owns its engine
    try:
        migrations.upgrade(database, engine)
        return migrations.current(database, engine)
    finally:
        engine.dispose()
