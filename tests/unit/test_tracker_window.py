"""AdvisorTrackerStore: a checkpoint plus a window of recent events per turn, every event kept.

Conversations are replayed event by event the way Rasa's processor produces them (listen, user
message, slots, actions, bot messages, listen), on SQLite and on PostgreSQL. Each retrieved
tracker is compared with a tracker that holds the whole session: the same slots, the same
active form, the same latest message, and the same recent dialogue states (what RulePolicy
matches its rules against).
"""

from __future__ import annotations

import json
import time
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    LoopInterrupted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import AdvisorTrackerStore, TrackerCheckpoint, deserialise_event, message_events
from knowledge.db import upgrade_schema

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask, start_plan, state_goal, show_plan]
entities: [aspect]
slots:
  language: {type: categorical, values: [pl, en], initial_value: pl, influence_conversation: false, mappings: [{type: custom}]}
  aspect: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  plan_goals: {type: any, influence_conversation: false, mappings: [{type: custom}]}
  goal: {type: text, influence_conversation: false, mappings: [{type: custom}]}
forms:
  plan_form: {required_slots: [goal]}
actions: [action_answer, action_start_plan]
responses:
  utter_greet: [{text: hi}]
session_config: {session_expiration_time: 120, carry_over_slots_to_new_session: true}
"""
)
WINDOW = 20
ASPECTS = ["budget", "team", "tools", "goals", "scope"]


@pytest.fixture
def store_factory(db_url: str, monkeypatch):
    """AdvisorTrackerStore on an empty database, on SQLite and on PostgreSQL."""
    monkeypatch.setenv("TRACKER_STORE_URL", db_url)
    upgrade_schema("tracker", db_url)
    stores: List[AdvisorTrackerStore] = []

    def make(window: int = WINDOW) -> AdvisorTrackerStore:
        store = AdvisorTrackerStore(domain=DOMAIN, window=window)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.engine.dispose()


def checkpoint(store: AdvisorTrackerStore, sender: str = "employee") -> int:
    with store.session_scope() as session:
        return session.get(TrackerCheckpoint, sender).event_id


def user(text: str, intent: str = "ask") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0}, [], {"text": text, "intent": {"name": intent}})


def question_turn(i: int, language: str = "en") -> List[Event]:
    aspect = ASPECTS[i % len(ASPECTS)]
    return [
        user(f"question {i}"),
        SlotSet("language", language),
        ActionExecuted("action_answer"),
        BotUttered(f"answer {i}", {"custom": {"source": {"id": f"{aspect}/sales"}}}),
        SlotSet("aspect", aspect),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def goal_turn(i: int) -> List[Event]:
    return [
        user(f"goal {i}", "state_goal"),
        ActionExecuted("plan_form"),
        SlotSet("goal", None),
        SlotSet("plan_goals", [f"goal {j}" for j in range(i + 1)]),
        BotUttered(f"goal {i} goes to the sales plan"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


class Conversation:
    """Turns through the store, next to a reference tracker holding every event of the session."""

    def __init__(self, store: AdvisorTrackerStore, sender: str = "employee") -> None:
        self.store, self.sender = store, sender
        self.full = DialogueStateTracker(sender, DOMAIN.slots)
        self.stored_events = 0
        self.compare_states = True

    async def turn(self, events: List[Event]) -> DialogueStateTracker:
        tracker = await self.store.retrieve(self.sender)
        if tracker is None:
            tracker = DialogueStateTracker(self.sender, DOMAIN.slots)
            events = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                      ActionExecuted(ACTION_LISTEN_NAME)] + events
        self.check(tracker)
        for event in events:
            event.timestamp = time.time()  # as the processor's update_with_events does
            tracker.update(event)
            self.full.update(event)
        self.stored_events += len(events)
        await self.store.save(tracker)
        return tracker

    async def new_session(self) -> DialogueStateTracker:
        """What Rasa's processor does when the session has expired: action_session_start."""
        tracker = await self.store.retrieve(self.sender)
        started = await ActionSessionStart().run(None, None, tracker, DOMAIN)
        events = [ActionExecuted(ACTION_SESSION_START_NAME)] + started
        for event in events:
            event.timestamp = time.time()
            tracker.update(event)
        await self.store.save(tracker)
        self.stored_events += len(events)
        carried = [e for e in started if isinstance(e, SlotSet)]
        self.full = DialogueStateTracker(self.sender, DOMAIN.slots)
        for event in started:
            self.full.update(event)
        return tracker, carried

    def check(self, tracker: DialogueStateTracker) -> None:
        full = self.full
        if not full.events:
            return
        assert tracker.current_slot_values() == full.current_slot_values()
        assert tracker.active_loop_name == full.active_loop_name
        assert tracker.latest_message.text == full.latest_message.text
        assert tracker.latest_action_name == full.latest_action_name
        assert tracker.is_paused() == full.is_paused()
        if not self.compare_states:
            return
        # RulePolicy matches its rules against the latest dialogue states: the window's are the
        # latest of the whole session (its first state is a start state, as after a session
        # start), several turns of them; a form's turns collapse into one (Rasa's applied events)
        states, full_states = DOMAIN.states_for_tracker_history(tracker), DOMAIN.states_for_tracker_history(full)
        recent = min(len(states) - 1, 8) if len(states) < len(full_states) else len(states)
        assert recent >= min(4, len(full_states))
        assert states[-recent:] == full_states[-recent:]

    def stored_rows(self) -> int:
        with self.store.session_scope() as session:
            return session.execute(
                sa.select(sa.func.count()).select_from(self.store.SQLEvent).where(
                    self.store.SQLEvent.sender_id == self.sender)
            ).scalar()


async def test_each_turn_loads_a_bounded_window_with_the_whole_state(store_factory) -> None:
    store = store_factory()
    conversation = Conversation(store)
    sizes = []
    for i in range(80):
        tracker = await conversation.turn(question_turn(i, "pl" if i % 7 == 3 else "en"))
        sizes.append(len(tracker.events))
    assert max(sizes[40:]) <= 2 * WINDOW + 2 * len(question_turn(0)) + len(DOMAIN.slots)
    assert conversation.stored_rows() == conversation.stored_events  # nothing is lost
    conversation.check(await store.retrieve("employee"))
    full = await store.retrieve_full_tracker("employee")
    assert len(full.events) == conversation.stored_events
    assert full.current_slot_values() == conversation.full.current_slot_values()


async def test_window_zero_is_rasas_stock_store(store_factory) -> None:
    store = store_factory(window=0)
    conversation = Conversation(store)
    for i in range(30):
        await conversation.turn(question_turn(i))
    tracker = await store.retrieve("employee")
    assert conversation.stored_events == conversation.stored_rows()
    assert len(tracker.events) >= conversation.stored_events - 1  # all since the session start
    with store.session_scope() as session:  # stock: no checkpoint written
        assert session.execute(sa.select(sa.func.count()).select_from(TrackerCheckpoint)).scalar_one() == 0


async def test_the_stock_and_the_windowed_store_read_each_others_conversations(store_factory) -> None:
    windowed, stock = store_factory(), store_factory(window=0)
    conversation = Conversation(windowed)
    for i in range(40):
        await conversation.turn(question_turn(i))
    conversation.store = stock  # e.g. ADVISOR_TRACKER_WINDOW=0 on a later deployment
    for i in range(40, 45):
        await conversation.turn(question_turn(i))
    conversation.store = windowed
    for i in range(45, 60):
        await conversation.turn(question_turn(i))
    assert conversation.stored_rows() == conversation.stored_events


async def test_sessions_start_the_window_again_and_carry_a_bounded_set_of_slots_over(store_factory) -> None:
    store = store_factory()
    conversation = Conversation(store)
    carried_sizes = []
    for session in range(5):
        for i in range(30):
            await conversation.turn(question_turn(i, "en" if session % 2 else "pl"))
        _, carried = await conversation.new_session()
        carried_sizes.append(len(carried))
        tracker = await store.retrieve("employee")
        assert isinstance(tracker.events[0], SessionStarted)  # nothing from the session before
        assert tracker.get_slot("language") == ("en" if session % 2 else "pl")
        assert tracker.get_slot("aspect") == ASPECTS[29 % len(ASPECTS)]
        await conversation.turn(question_turn(100 + session))
    # Rasa carries over every SlotSet of the tracker: bounded by the window, not the session
    assert max(carried_sizes) <= 2 * WINDOW + len(DOMAIN.slots)
    assert conversation.stored_rows() == conversation.stored_events
    full = await store.retrieve_full_tracker("employee")
    assert sum(isinstance(e, SessionStarted) for e in full.events) == 6


async def test_a_form_keeps_its_turns_together_and_survives_a_checkpoint(store_factory) -> None:
    store = store_factory()
    conversation = Conversation(store)
    for i in range(10):
        await conversation.turn(question_turn(i))
    await conversation.turn([user("help me build a plan", "start_plan"), ActionExecuted("action_start_plan"),
                             ActionExecuted("plan_form"), ActiveLoop("plan_form"), SlotSet("requested_slot", "goal"),
                             BotUttered("What is your first goal?"), ActionExecuted(ACTION_LISTEN_NAME)])
    with store.session_scope() as session:
        form_start = session.execute(sa.select(store.SQLEvent.id).where(
            store.SQLEvent.sender_id == "employee", store.SQLEvent.intent_name == "start_plan")).scalar()
    for i in range(8):  # a form longer than two windows: the checkpoint stays before it
        await conversation.turn(goal_turn(i))
        assert checkpoint(store) < form_start
    # ... but not for ever. Inside a form, Rasa's applied events drop the form's happy-path
    # turns back to the form's first run; in the window that is its first run in the window.
    conversation.compare_states = False
    for i in range(8, 20):
        tracker = await conversation.turn(goal_turn(i))
    assert checkpoint(store) > form_start
    assert len(tracker.events) <= 5 * WINDOW
    await conversation.turn([user("a question in the middle"), ActionExecuted("action_answer"), BotUttered("answer"),
                             ActionExecuted("plan_form"), LoopInterrupted(True), ActionExecuted(ACTION_LISTEN_NAME)])
    tracker = await store.retrieve("employee")
    assert tracker.active_loop_name == "plan_form"
    assert tracker.get_slot("plan_goals") == [f"goal {j}" for j in range(20)]
    await conversation.turn([user("done", "state_goal"), ActionExecuted("plan_form"), ActiveLoop(None),
                             SlotSet("requested_slot", None), ActionExecuted(ACTION_LISTEN_NAME)])
    for i in range(30):
        await conversation.turn(question_turn(i))
    conversation.compare_states = True
    conversation.check(await store.retrieve("employee"))
    assert (await store.retrieve("employee")).active_loop_name is None


async def test_history_reads_the_latest_messages_of_every_session(store_factory) -> None:
    store = store_factory()
    conversation = Conversation(store)
    for i in range(40):
        await conversation.turn(question_turn(i))
    await conversation.new_session()
    for i in range(40, 45):
        await conversation.turn(question_turn(i))
    messages = store.message_events("employee", 12)
    texts = [e.text for e in messages]
    assert texts == [t for i in range(39, 45) for t in (f"question {i}", f"answer {i}")]
    # the messages a caller does not show are replaced by older ones, over several pages
    only_users = store.message_events("employee", 60, keep=lambda e: isinstance(e, UserUttered))
    assert [e.text for e in only_users] == [f"question {i}" for i in range(45 - 45, 45)][-60:]
    # the helper the intranet channel calls unwraps Rasa's wrappers around the store
    from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore

    wrapped = AwaitableTrackerStore(FailSafeTrackerStore(store))
    assert [e.text for e in await message_events(wrapped, "employee", 2)] == ["question 44", "answer 44"]
    assert store.message_events("somebody else", 10) == []


async def test_saving_is_idempotent_and_foreign_trackers_are_saved_the_stock_way(store_factory) -> None:
    store = store_factory()
    conversation = Conversation(store)
    for i in range(3):
        tracker = await conversation.turn(question_turn(i))
    await store.save(tracker)  # again: nothing new
    assert conversation.stored_rows() == conversation.stored_events
    created = await store.create_tracker("new-user")  # not loaded by the store: Rasa's own save
    created.update(user("hello", "greet"))
    await store.save(created)
    assert [e.text for e in store.message_events("new-user", 5)] == ["hello"]


def test_events_deserialise_as_rasa_does() -> None:
    samples = question_turn(1) + goal_turn(2) + [
        SessionStarted(metadata={"a": 1}), ActiveLoop("plan_form"), ActiveLoop(None), LoopInterrupted(True),
        ActionExecuted(ACTION_SESSION_START_NAME, policy="RulePolicy", confidence=0.9),
    ]
    for event in samples:
        data = json.loads(json.dumps(event.as_dict()))
        assert deserialise_event(data) == Event.from_parameters(data), data
        assert deserialise_event(data).as_dict() == event.as_dict()
    assert deserialise_event({"text": "no type"}) is None


async def test_the_windowed_path_runs_on_core_connections_and_keeps_each_checkpoint_row(store_factory, monkeypatch) -> None:
    """Retrieve and save use a Core connection, not Rasa's ORM session; the checkpoint row is
    written as `session.merge` wrote it (inserted once, then updated in place)."""
    store = store_factory()

    def no_session():
        raise AssertionError("the windowed path opened an ORM session")

    monkeypatch.setattr(store, "session_scope", no_session)
    conversation = Conversation(store)
    checkpoints = []
    for i in range(70):
        await conversation.turn(question_turn(i))
        with store.engine.connect() as connection:
            rows = connection.execute(sa.select(TrackerCheckpoint.__table__)).all()
        assert len(rows) <= 1
        if rows and (not checkpoints or checkpoints[-1] != tuple(rows[0])):
            checkpoints.append(tuple(rows[0]))
    assert len(checkpoints) >= 2  # moved at least once after it was first written
    monkeypatch.undo()
    with store.session_scope() as session:
        row = session.get(TrackerCheckpoint, "employee")
        assert (row.sender_id, row.event_id, row.timestamp, row.state) == checkpoints[-1]
        assert json.loads(row.state)["slots"]["aspect"] in ASPECTS
    assert conversation.stored_rows() == conversation.stored_events


async def test_a_failed_save_stores_nothing_of_its_turn(store_factory, monkeypatch) -> None:
    store = store_factory()
    conversation = Conversation(store)
    await conversation.turn(question_turn(0))
    stored = conversation.stored_rows()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_move_checkpoint", fail)
    with pytest.raises(RuntimeError):
        await conversation.turn(question_turn(1))
    assert conversation.stored_rows() == stored  # the turn's inserts were rolled back


async def test_with_a_postgresql_schema_set_rasas_session_is_kept(store_factory, monkeypatch) -> None:
    """Rasa checks the schema on each session (`ensure_schema_exists`): that path keeps it."""
    store = store_factory()
    sessions = []
    original = store.session_scope

    def counting():
        sessions.append(1)
        return original()

    monkeypatch.setattr(store, "session_scope", counting)
    monkeypatch.setenv("POSTGRESQL_SCHEMA", "public")
    conversation = Conversation(store)
    for i in range(50):
        await conversation.turn(question_turn(i))
    assert len(sessions) >= 100  # a retrieve and a save per turn
    monkeypatch.delenv("POSTGRESQL_SCHEMA")
    assert conversation.stored_rows() == conversation.stored_events
    assert checkpoint(store) > 0
