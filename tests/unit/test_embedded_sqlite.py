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


def test_a_new_conversation_is_stored_once_and_stays_on_the_windowed_path(tmp_path, monkeypatch):
    from rasa.shared.core.events import BotUttered

    from bot.stores import _STORED_ATTRIBUTE

    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade_schema("tracker", f"sqlite:///{tmp_path / 'advisor.db'}")
    store = AdvisorTrackerStore(domain=DOMAIN)

    async def conversation():
        tracker = await store.get_or_create_tracker("bob")  # Rasa's create_tracker: saves [action_listen]
        assert hasattr(tracker, _STORED_ATTRIBUTE)  # the new tracker took the windowed path
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                      UserUttered("hi", {"name": "greet", "confidence": 1.0})):
            tracker.update(event)
        await store.save(tracker)
        for event in (ActionExecuted("utter_greet"), BotUttered("hi"), ActionExecuted("action_listen")):
            tracker.update(event)
        await store.save(tracker)
        expected = list(tracker.events)
        again = await store.retrieve("bob")
        again.update(UserUttered("hi again", {"name": "greet", "confidence": 1.0}))
        await store.save(again)
        return expected + [again.events[-1]], await store.retrieve_full_tracker("bob")

    expected, stored = asyncio.run(conversation())
    # every event of the conversation stored exactly once, in order
    assert [e.as_dict() for e in stored.events] == [e.as_dict() for e in expected]
    assert len(stored.events) == 9
    store.engine.dispose()


def test_a_tracker_of_a_known_conversation_not_loaded_here_still_goes_rasa_s_way(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade_schema("tracker", f"sqlite:///{tmp_path / 'advisor.db'}")
    store = AdvisorTrackerStore(domain=DOMAIN)
    first = DialogueStateTracker.from_events("cy", [ActionExecuted("action_listen")])
    asyncio.run(store.save(first))
    assert hasattr(first, "_advisor_stored_events")
    built = DialogueStateTracker.from_events("cy", [ActionExecuted("action_listen"), UserUttered("hi")])
    asyncio.run(store.save(built))  # e.g. through the HTTP API: Rasa's counting decides
    assert not hasattr(built, "_advisor_stored_events")
    assert [e.as_dict()["event"] for e in asyncio.run(store.retrieve_full_tracker("cy")).events] == ["action", "user"]
    store.engine.dispose()
