"""Schema migrations (`advisor db upgrade`) on SQLite and PostgreSQL: from an empty database,
and from the schema `create_all` made before migrations, with its data kept."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

import migrations
from bot.stores import AdvisorTrackerStore, CheckpointBase
from knowledge import models as m
from knowledge.db import engine_for, upgrade_schema
from knowledge.plans import plans_for
from knowledge.repository import repository_for
from knowledge.service import load
from tests.conftest import CONTENT_DIR

DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [greet]\n")
EVENTS_INDEXES = {"ix_events_sender_id_id", "ix_events_sender_id_type_name_id"}


def differences(engine: sa.engine.Engine, metadata: sa.MetaData) -> list:
    """What the migrated schema lacks or has besides the models' tables."""
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    return [d for d in diff if _table_of(d) in metadata.tables]


def _table_of(difference) -> str:
    if isinstance(difference, list):  # column changes: [(kind, schema, table, column, ...)]
        return difference[0][2]
    target = difference[1]
    return target.name if isinstance(target, sa.Table) else getattr(target, "table", target).name


def test_an_empty_knowledge_database_is_migrated_to_the_models(db_url: str):
    engine = engine_for(db_url)
    assert migrations.current("knowledge", engine) is None
    assert upgrade_schema("knowledge", db_url) == migrations.head("knowledge")
    assert differences(engine, m.Base.metadata) == []
    assert upgrade_schema("knowledge", db_url) == migrations.head("knowledge")  # a second run changes nothing


def test_a_database_made_by_create_all_keeps_its_plans_and_content(db_url: str):
    """The previous revision: what `create_all` made on main, with saved plans and a loaded KB."""
    engine = engine_for(db_url)
    m.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
    plans = plans_for(db_url)
    when = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    saved = [plans.save(user, "pl", {"business": user, "goals": [{"text": "więcej sprzedaży", "plan": "sales"}]},
                        now=when.replace(hour=hour)) for hour, user in ((9, "alice"), (10, "bob"), (11, "alice"))]
    with engine.begin() as connection:  # a knowledge base loaded by the version before migrations
        connection.execute(m.Section.__table__.insert(), [{"id": "x", "aspect": "overview", "position": 0}])
        connection.execute(m.Meta.__table__.insert(), [{"key": "loaded_at", "value": when.isoformat()}])

    upgrade_schema("knowledge", db_url)

    assert migrations.current("knowledge", engine) == migrations.head("knowledge")
    assert [plans.get(plan.id) for plan in saved] == saved
    assert plans.latest("alice") == saved[2]
    with engine.connect() as connection:
        assert connection.execute(sa.select(m.Section.id)).scalars().all() == ["x"]
        assert sa.inspect(connection).has_table("unrelated")
    load(CONTENT_DIR, db_url)  # a load after the upgrade replaces the content and keeps the plans
    assert repository_for(db_url).answer("budget", "sales", "pl").section == "6"
    assert [plans.get(plan.id) for plan in saved] == saved


def test_an_empty_tracker_database_gets_checkpoints_and_event_indexes(db_url: str, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", db_url)
    assert upgrade_schema("tracker", db_url) == migrations.head("tracker")
    engine = sa.create_engine(db_url, future=True)
    try:
        inspector = sa.inspect(engine)
        assert {index["name"] for index in inspector.get_indexes("events")} >= EVENTS_INDEXES
        assert differences(engine, CheckpointBase.metadata) == []
    finally:
        engine.dispose()
    store = AdvisorTrackerStore(domain=DOMAIN, window=20)
    store.engine.dispose()


def test_a_tracker_database_made_by_the_store_keeps_its_events(db_url: str, monkeypatch):
    """The previous revision: Rasa's `events` and what the store's constructor created on main."""
    engine = sa.create_engine(db_url, future=True)
    SQLTrackerStore.SQLEvent.__table__.create(engine)
    CheckpointBase.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE INDEX ix_events_sender_id_id ON events (sender_id, id)"))
        connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), [
            {"sender_id": "alice", "type_name": "user", "timestamp": 1.0, "data": json.dumps({"event": "user"})},
        ])
        connection.execute(CheckpointBase.metadata.tables["tracker_checkpoints"].insert(), [
            {"sender_id": "alice", "event_id": 1, "timestamp": 1.0, "state": "{}"},
        ])
    try:
        upgrade_schema("tracker", db_url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["alice"]
            assert connection.execute(sa.text("SELECT event_id FROM tracker_checkpoints")).scalars().all() == [1]
            assert {index["name"] for index in sa.inspect(connection).get_indexes("events")} >= EVENTS_INDEXES
    finally:
        engine.dispose()


def test_the_store_refuses_a_database_that_was_not_upgraded(db_url: str, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", db_url)
    with pytest.raises(migrations.SchemaOutdated, match="advisor db upgrade"):
        AdvisorTrackerStore(domain=DOMAIN, window=20)
