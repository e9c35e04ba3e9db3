"""The saved-plans store on SQLite, and on PostgreSQL when TEST_POSTGRES_URL is set (a database
of its own per run, dropped afterwards; ADVISOR_REQUIRE_SERVICES=1 makes a missing server fail)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from knowledge import models as m
from knowledge.db import sessions, upgrade_schema
from knowledge.plans import InvalidPlanId, SavedPlans, is_plan_id, plans_for


@pytest.fixture
def store(db_url: str) -> SavedPlans:
    upgrade_schema("knowledge", db_url)
    return plans_for(db_url)


def count(url: str) -> int:
    with sessions(url)() as session:
        return session.execute(select(func.count()).select_from(m.SavedPlan)).scalar_one()


def test_save_and_read_back(store: SavedPlans):
    body = {"language": "pl", "goals": [{"text": "więcej sprzedaży", "plan": "sales", "reasons": []}]}
    saved = store.save("alice", "pl", body)
    assert is_plan_id(saved.id)
    again = store.get(saved.id)
    assert again.body == body and again.user_id == "alice" and again.language == "pl"
    assert again.created_at.tzinfo is not None


def test_latest_is_per_user_and_newest_first(store: SavedPlans):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    store.save("alice", "pl", {"n": 1}, now=start)
    newest = store.save("alice", "en", {"n": 2}, now=start + timedelta(minutes=1))
    store.save("bob", "pl", {"n": 3}, now=start + timedelta(minutes=2))
    assert store.latest("alice").id == newest.id
    assert store.latest("bob").body == {"n": 3}
    assert store.latest("carol") is None


def test_a_failed_save_writes_nothing(store: SavedPlans, db_url: str):
    with pytest.raises(Exception):
        store.save("alice", "pl", {"not json": object()})
    assert count(db_url) == 0


@pytest.mark.parametrize("bad", ["../../etc/passwd", "plan.md", "", "3F2B6C1E-5D4A-4E8B-9C7D-1A2B3C4D5E6F; DROP"])
def test_ids_that_are_not_plan_ids_are_refused(store: SavedPlans, bad: str):
    with pytest.raises(InvalidPlanId):
        store.get(bad)


def test_unknown_id(store: SavedPlans):
    assert store.get("00000000-0000-4000-8000-000000000000") is None


def test_an_upgraded_database_needs_no_kb_load(db_url: str):
    upgrade_schema("knowledge", db_url)  # `advisor db upgrade`, no `advisor kb load` yet
    store = plans_for(db_url)
    assert store.latest("alice") is None
    store.save("alice", "pl", {})
    assert count(db_url) == 1


def test_user_id_is_required(store: SavedPlans):
    with pytest.raises(ValueError):
        store.save("", "pl", {})
