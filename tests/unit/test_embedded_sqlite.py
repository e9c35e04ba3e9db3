"""The embedded SQLite stores run in WAL mode with synchronous=NORMAL on pooled connections.

AdvisorTrackerStore replaces the engine Rasa's SQLTrackerStore builds; if a Rasa version
stops using `engine` / `sessionmaker` the way 3.6 does, these fail.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import AdvisorTrackerStore
from knowledge.db import engine_for, upgrade_schema

DOMAIN = Domain.from_yaml('version: "3.1"\nintents: [greet]\nresponses:\n  utter_greet: [{text: hi}]\n')


def _pragmas(engine) -> tuple:
    with engine.connect() as connection:
        return (connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                connection.exec_driver_sql("PRAGMA synchronous").scalar())


def test_the_tracker_store_uses_wal_and_normal_sync_on_a_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    upgrade_schema("tracker", f"sqlite:///{tmp_path / 'tracker.db'}")
    store = AdvisorTrackerStore(domain=DOMAIN)
    assert _pragmas(store.engine) == ("wal", 1)  # 1 = NORMAL
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    # Rasa's session_scope must go through the replaced engine
    with store.session_scope() as session:
        assert session.get_bind() is store.engine
    tracker = DialogueStateTracker.from_events("ann", [ActionExecuted("action_session_start"), SessionStarted(),
                                                       ActionExecuted("action_listen"), UserUttered("hi")])
    asyncio.run(store.save(tracker))
    stored = asyncio.run(store.retrieve_full_tracker("ann"))
    assert [e.as_dict()["event"] for e in stored.events] == ["action", "session_started", "action", "user"]
    store.engine.dispose()


def test_rasa_sql_tracker_store_still_builds_engine_and_sessionmaker(tmp_path):
    store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    assert isinstance(store.engine, sa.engine.Engine) and callable(store.sessionmaker)
    with store.session_scope() as session:
        assert session.get_bind() is store.engine
    store.engine.dispose()


def test_the_knowledge_base_uses_wal_and_normal_sync(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'knowledge.db'}")
    assert _pragmas(engine) == ("wal", 1)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_several_sanic_workers_need_the_redis_lock_store(monkeypatch):
    import pytest
    from rasa.core.lock_store import InMemoryLockStore

    from bot.stores import AdvisorLockStore

    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert isinstance(AdvisorLockStore(), InMemoryLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="LOCK_STORE_URL"):
        AdvisorLockStore()
