"""`advisor forget --user ID`: one conversation id's events, checkpoint and saved plans, gone.

Both stores on SQLite and on the PostgreSQL server (`db_url`): conversations are written by the
real tracker store (AdvisorTrackerStore, with a window small enough to write checkpoints) and
plans by the saved-plan repository; another conversation must stay untouched.
"""

from __future__ import annotations

import time
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.cli import main
from bot.erasure import TABLES, forget_conversation
from bot.stores import AdvisorTrackerStore, TrackerCheckpoint
from knowledge.plans import plans_for
from tests.unit.test_tracker_window import DOMAIN
from knowledge.db import upgrade_schema

WINDOW = 5
TURNS = 8
EVENTS_PER_TURN = 4
FIRST_EVENTS = 3  # session start, session_started, listen


def turn(i: int) -> List[Event]:
    return [
        UserUttered(f"question {i}", {"name": "ask", "confidence": 1.0}),
        ActionExecuted("action_answer"),
        BotUttered(f"answer {i}", {"custom": {"source": {"id": "budget/sales"}}}),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


async def converse(store: AdvisorTrackerStore, sender: str) -> None:
    for i in range(TURNS):
        tracker = await store.retrieve(sender)
        events = turn(i)
        if tracker is None:
            tracker = DialogueStateTracker(sender, DOMAIN.slots)
            events = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)] + events
        for event in events:
            event.timestamp = time.time()
            tracker.update(event)
        await store.save(tracker)


def counts(url: str, sender: str) -> tuple:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            events = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
            checkpoints = connection.execute(
                sa.select(sa.func.count()).select_from(TrackerCheckpoint.__table__)
                .where(TrackerCheckpoint.__table__.c.sender_id == sender)
            ).scalar()
    finally:
        engine.dispose()
    return events, checkpoints


@pytest.fixture
def stores(db_url: str, monkeypatch):
    """Tracker store and knowledge base on one empty database (SQLite, PostgreSQL), with two
    people's conversations and saved plans."""
    monkeypatch.setenv("TRACKER_STORE_URL", db_url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", db_url)
    upgrade_schema("tracker", db_url)
    upgrade_schema("knowledge", db_url)
    store = AdvisorTrackerStore(domain=DOMAIN, window=WINDOW)
    yield store
    store.engine.dispose()


async def test_forget_removes_one_conversation_from_both_stores(stores, db_url, capsys):
    for sender in ("alice", "bob"):
        await converse(stores, sender)
    plans = plans_for(db_url)
    for sender, count in (("alice", 2), ("bob", 1)):
        for _ in range(count):
            plans.save(sender, "pl", {"goals": []})
    expected_events = FIRST_EVENTS + TURNS * EVENTS_PER_TURN
    assert counts(db_url, "alice") == (expected_events, 1)  # a checkpoint was written

    assert main(["forget", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert f"deleted {expected_events} event(s) and 1 checkpoint(s) of conversation 'alice'" in out
    assert "deleted 2 saved plan(s) of 'alice'" in out

    assert counts(db_url, "alice") == (0, 0)
    assert plans.latest("alice") is None
    assert await stores.retrieve("alice") is None
    assert counts(db_url, "bob") == (expected_events, 1)  # nobody else's data
    assert plans.latest("bob") is not None
    assert (await stores.retrieve("bob")).latest_message.text == f"question {TURNS - 1}"

    assert main(["forget", "--user", "alice"]) == 0  # again: nothing left, said plainly
    out = capsys.readouterr().out
    assert "deleted 0 event(s) and 0 checkpoint(s)" in out and "deleted 0 saved plan(s)" in out


async def test_forget_takes_the_id_exactly(stores, db_url, capsys):
    await converse(stores, "rest:carol")
    await converse(stores, "carol")
    assert main(["forget", "--user", "carol"]) == 0
    assert counts(db_url, "carol") == (0, 0)
    assert counts(db_url, "rest:carol")[0] == FIRST_EVENTS + TURNS * EVENTS_PER_TURN


@pytest.mark.parametrize("user", ["", "   "])
async def test_an_empty_id_is_refused_and_nothing_changes(stores, db_url, capsys, user):
    await converse(stores, "dave")
    assert main(["forget", "--user", user]) == 2
    assert "must name a conversation id" in capsys.readouterr().err
    assert counts(db_url, "dave")[0] == FIRST_EVENTS + TURNS * EVENTS_PER_TURN
    with pytest.raises(ValueError):
        forget_conversation(db_url, user)
    with pytest.raises(ValueError):
        plans_for(db_url).delete_for_user(user)


def test_a_store_without_tables_has_nothing_to_remove(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("KNOWLEDGE_DB_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    assert main(["forget", "--user", "erin"]) == 0
    assert "deleted 0 event(s)" in capsys.readouterr().out
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "kb.db").exists()  # nothing created


def test_the_erased_tables_are_the_stores_tables():
    assert [table.name for table in TABLES] == [SQLTrackerStore.SQLEvent.__tablename__, TrackerCheckpoint.__tablename__]
