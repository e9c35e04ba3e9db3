"""One engine and one sessionmaker per process and database URL.

Use a unit of work per operation: `with sessions(url).begin() as session: ...`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


@functools.lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """The process's engine for `url` (created on first use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
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
