"""Tracker and lock stores chosen from the environment (`TRACKER_STORE_URL`, `LOCK_STORE_URL`).

`bot/endpoints.yml` names these classes, so one endpoints file serves every deployment:
unset variables give the embedded defaults (an SQLite tracker file under `var/`, so
conversations survive a restart, and an in-memory lock store); a company sets a PostgreSQL
URL and a Redis URL.

## Why the tracker store loads a window, not the whole session

On the intranet the conversation id is the employee, so one conversation lives for months.
Rasa's `SQLTrackerStore` rebuilds the tracker from every event of the current session on each
message, and everything Rasa then does per message is linear in the tracker's length: the
processor copies the tracker (a replay of all its events) before every action, `RulePolicy`
computes the dialogue state at every past action, each remote action receives all events as
JSON. Measured (`make bench`, "Conversation length"): turns 301-400 of one conversation took
five to six times the CPU of its turns 1-100, and the growth does not stop. Most of it was the
retrieve itself (deserialising every event: Rasa looks the event class up among all `Event`
subclasses for each one) and RulePolicy's dialogue states.

`AdvisorTrackerStore` keeps every event in Rasa's `events` table (the history, analytics and
audits see all of it; `retrieve_full_tracker` and `message_events` read it), but `retrieve`
loads only what a turn needs: a *checkpoint* of the dialogue state (slot values, active loop,
paused flag) at a turn boundary, replayed as a few state events, followed by the events since
that boundary — at least `ADVISOR_TRACKER_WINDOW` events (default 100, several turns, more than
any rule looks back), at most about twice that. Whenever a saved tracker has grown beyond twice
the window, the checkpoint moves forward (table `tracker_checkpoints`, one row per
conversation), preferably to a boundary where no form is active. Session starts work as in
Rasa: a tracker never reaches back past the current session's `session_started` event, and
`carry_over_slots_to_new_session` carries the slots of the (windowed) tracker over.

`ADVISOR_TRACKER_WINDOW=0` gives Rasa's stock behaviour (the whole current session on every
message); `make bench` uses it for the before/after comparison.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import POSTGRESQL_SCHEMA, SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url
from sqlalchemy.orm import declarative_base

import migrations
from bot.locks import AtomicRedisLockStore, SQLiteLockStore
from bot.settings import get_settings
from knowledge import MAX_USER_ID_CHARS
from knowledge.db import sqlite_embedded_pragmas

logger = logging.getLogger(__name__)

_STORED_ATTRIBUTE = "_advisor_stored_events"
"""Attribute a tracker loaded by `AdvisorTrackerStore` carries: which of its events are stored."""

HARD_LIMIT_FACTOR = 4
"""While a form stays active the checkpoint waits for it to end, up to this many windows."""

MESSAGE_EVENT_TYPES = (UserUttered.type_name, BotUttered.type_name)

CheckpointBase = declarative_base()


class TrackerCheckpoint(CheckpointBase):
    """The dialogue state of a conversation just before event `event_id + 1`."""

    __tablename__ = "tracker_checkpoints"

    sender_id = sa.Column(sa.String(MAX_USER_ID_CHARS), primary_key=True)
    event_id = sa.Column(sa.Integer, nullable=False)  # the last event the state includes
    timestamp = sa.Column(sa.Float)
    state = sa.Column(sa.Text, nullable=False)


@dataclass
class _StoredEvents:
    """`tracker.events[offset:]` are the stored events with these ids, in order.

    The first `offset` events are the checkpoint's state events, which are not stored.
    """

    offset: int
    ids: List[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.offset + len(self.ids)


@dataclass(frozen=True)
class _Statements:
    """The store's queries, built once with bound parameters.

    SQLAlchemy 1.4 computes a statement's cache key on every execution of a new statement
    object (6-9 % of the server's time under load for `session.get` and the per-call selects);
    a statement object that is reused keeps its key.
    """

    checkpoint: Any
    session_start: Any
    events_after: Any
    events_from: Any
    events_all: Any
    has_events: Any
    insert_event: Any
    update_checkpoint: Any
    insert_checkpoint: Any

    @classmethod
    def build(cls, events: Any) -> "_Statements":
        sender = events.sender_id == sa.bindparam("sender_id")
        rows = sa.select(events.id, events.data)
        table = TrackerCheckpoint.__table__
        return cls(
            checkpoint=sa.select(table.c.event_id, table.c.timestamp, table.c.state).where(
                table.c.sender_id == sa.bindparam("sender_id")),
            session_start=sa.select(sa.func.max(events.id)).where(sender, events.type_name == SessionStarted.type_name),
            events_after=rows.where(sender, events.id > sa.bindparam("after")).order_by(events.id),
            events_from=rows.where(sender, events.id >= sa.bindparam("start")).order_by(events.id),
            events_all=rows.where(sender).order_by(events.id),
            has_events=sa.select(events.id).where(sender).limit(1),
            # the same INSERT the ORM's unit of work issues for a new `SQLEvent`, without it
            insert_event=sa.insert(events.__table__),
            # what `session.merge` of a checkpoint issues after its SELECT: an UPDATE of the row,
            # or an INSERT when there is none (the SET columns are the parameters' other keys)
            update_checkpoint=table.update().where(table.c.sender_id == sa.bindparam("checkpoint_sender_id")),
            insert_checkpoint=table.insert(),
        )


class AdvisorTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on `TRACKER_STORE_URL`, loading a bounded window per turn."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        window: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        settings = get_settings()
        url = make_url(settings.tracker_store_url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query),
            **kwargs,
        )
        if url.get_backend_name() == "sqlite":
            self._use_embedded_sqlite_settings()
        self.window = settings.tracker_window if window is None else max(0, int(window))
        if self.window:
            # `tracker_checkpoints` and the indexes a window is read by (a range of one sender's
            # ids, the latest `session_started` of one sender) come from `advisor db upgrade`.
            migrations.require_current("tracker", self.engine)

    def _use_embedded_sqlite_settings(self) -> None:
        """WAL, `synchronous=NORMAL` and pooled connections for the embedded SQLite file.

        Rasa's engine uses SQLAlchemy 1.4's default for SQLite files: no pool (a new connection
        per session, three or more per message) and the rollback journal with
        `synchronous=FULL` (an fsync per commit, two commits per message). Under 50 concurrent
        conversations the fsyncs were the largest single cost in the server's profile. The
        engine is rebuilt on the same URL with a queue pool (SQLAlchemy 2.0's default for
        SQLite files), and every connection gets `knowledge.db.sqlite_embedded_pragmas`.
        Nothing else changes: the same tables, the same rows, the same transactions.
        """
        engine_url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            engine_url, poolclass=sa.pool.QueuePool, pool_size=5, max_overflow=10,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", sqlite_embedded_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    # -- retrieve ---------------------------------------------------------------------------

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The current session's state: the checkpoint's state and the events after it."""
        if not self.window:
            return await super().retrieve(sender_id)
        if not self.domain:
            return None
        statements = self._statements
        with self._transaction() as session:
            checkpoint = session.execute(statements.checkpoint, {"sender_id": sender_id}).first()
            if checkpoint is not None:
                rows = session.execute(statements.events_after, {"sender_id": sender_id, "after": checkpoint.event_id}).all()
            else:
                session_start = session.execute(statements.session_start, {"sender_id": sender_id}).scalar()
                if session_start is not None:
                    rows = session.execute(statements.events_from, {"sender_id": sender_id, "start": session_start}).all()
                else:
                    rows = session.execute(statements.events_all, {"sender_id": sender_id}).all()

        loaded = [(row.id, deserialise_event(json.loads(row.data))) for row in rows]
        ids = [id_ for id_, event in loaded if event is not None]
        events = [event for _, event in loaded if event is not None]
        starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
        if starts:
            # like Rasa: nothing before the current session's start
            ids, events, prefix = ids[starts[-1]:], events[starts[-1]:], []
        elif checkpoint is not None:
            first_timestamp = events[0].timestamp if events else checkpoint.timestamp
            prefix = state_events(json.loads(checkpoint.state), self.domain, first_timestamp)
        else:
            prefix = []
        if not events and not prefix:
            return None
        tracker = DialogueStateTracker.from_events(sender_id, prefix + events, self.domain.slots)
        setattr(tracker, _STORED_ATTRIBUTE, _StoredEvents(offset=len(prefix), ids=ids))
        return tracker

    # -- save -------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events; move the checkpoint when the window is full."""
        stored = self._stored(tracker)
        if stored is None and self.window and not self._has_events(tracker.sender_id):
            # A new conversation (Rasa's create_tracker): with nothing stored, Rasa's save would
            # count 0 stored events and store them all, which is what the windowed path does;
            # marking the tracker keeps the later saves of this turn on that path too. (Rasa's
            # count query cost 15 % of the server's time under load with many new conversations.)
            stored = _StoredEvents(offset=0)
            setattr(tracker, _STORED_ATTRIBUTE, stored)
        if stored is None:
            # a tracker this store did not load (e.g. built through the HTTP API): Rasa's way
            return await super().save(tracker)
        new_events = list(itertools.islice(tracker.events, stored.count, None))
        if not new_events:
            return
        self._publish(new_events, tracker.sender_id)
        insert = self._statements.insert_event
        with self._transaction() as session:
            # One INSERT per event, as the ORM's flush did (each returns its id), without the
            # unit of work's bookkeeping: 40 % of a save's CPU (bench/README.md).
            for event in new_events:
                stored.ids.append(session.execute(insert, self._row(tracker.sender_id, event)).inserted_primary_key[0])
            self._move_checkpoint(session, tracker, stored)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        stored = self._stored(tracker)
        if stored is None:
            return await super().stream_events(tracker)
        self._publish(list(itertools.islice(tracker.events, stored.count, None)), tracker.sender_id)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction for the windowed path's statements, committed when it ends.

        The statements here are Core statements (`_Statements`: selects and inserts of rows, no
        ORM objects), so they run on a Core connection of the engine instead of an ORM session
        (Rasa's `session_scope`): the same SQL in the same transactions, without the session's
        per-statement and per-session bookkeeping (a retrieve's three selects 1.1-1.7 -> 0.5-0.9
        ms of CPU, eight inserts 1.8-2.1 -> 1.1-1.3 ms, on SQLite). An error rolls the
        transaction back, as closing the session did. With `POSTGRESQL_SCHEMA` set, Rasa checks
        on every session that the schema exists (`ensure_schema_exists`): then the session is
        kept, and committed at the end as before.
        """
        if os.environ.get(POSTGRESQL_SCHEMA):
            with self.session_scope() as session:
                yield session
                session.commit()
            return
        with self.engine.connect() as connection:
            with connection.begin():
                yield connection

    def _has_events(self, sender_id: Text) -> bool:
        with self._transaction() as session:
            return session.execute(self._statements.has_events, {"sender_id": sender_id}).first() is not None

    @functools.cached_property
    def _statements(self) -> "_Statements":
        return _Statements.build(self.SQLEvent)

    def _stored(self, tracker: DialogueStateTracker) -> Optional[_StoredEvents]:
        if not self.window:
            return None
        stored = getattr(tracker, _STORED_ATTRIBUTE, None)
        if not isinstance(stored, _StoredEvents) or stored.count > len(tracker.events):
            return None
        return stored

    def _publish(self, events: List[Event], sender_id: Text) -> None:
        if self.event_broker is None:
            return
        for event in events:
            self.event_broker.publish({"sender_id": sender_id, **event.as_dict()})

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[str, Any]:
        """The column values of an event's row, as Rasa's `SQLTrackerStore.save` fills them."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _move_checkpoint(self, session: Any, tracker: DialogueStateTracker, stored: _StoredEvents) -> None:
        """Checkpoint at the latest turn boundary that leaves at least `window` events after it."""
        stored_events = list(tracker.events)[stored.offset:]
        if len(stored_events) <= 2 * self.window:
            return
        # A boundary is an `action_listen`: the checkpoint holds the state before it.
        latest = len(stored_events) - self.window
        boundaries = [
            i for i in range(1, latest + 1)
            if isinstance(stored_events[i], ActionExecuted) and stored_events[i].action_name == ACTION_LISTEN_NAME
        ]
        if not boundaries:
            return
        # One replay over the window gives the state at every boundary; prefer the latest
        # boundary outside a form, so a form's turns stay together in one window.
        replay = DialogueStateTracker(tracker.sender_id, self.domain.slots)
        events = list(tracker.events)
        replayed = 0
        cut, state = None, None
        for boundary in boundaries:
            for event in events[replayed:stored.offset + boundary]:
                replay.update(event)
            replayed = stored.offset + boundary
            if replay.active_loop is None:
                cut, state = boundary, checkpoint_state(replay)
        if cut is None and len(stored_events) > HARD_LIMIT_FACTOR * self.window:
            cut, state = boundaries[-1], checkpoint_state(replay)
        if cut is None:
            return
        values = {"event_id": stored.ids[cut - 1], "timestamp": stored_events[cut - 1].timestamp,
                  "state": json.dumps(state)}
        statements = self._statements
        updated = session.execute(statements.update_checkpoint, {"checkpoint_sender_id": tracker.sender_id, **values})
        if not updated.rowcount:
            session.execute(statements.insert_checkpoint, {"sender_id": tracker.sender_id, **values})

    # -- history ----------------------------------------------------------------------------

    def message_events(
        self, sender_id: Text, limit: int, keep: Callable[[Event], bool] = lambda event: True
    ) -> List[Event]:
        """The latest `limit` user and bot messages of a conversation, all sessions, oldest first.

        `keep` drops messages the caller would not show; older ones are read in their place.
        """
        events_table = self.SQLEvent
        found: List[Event] = []
        before: Optional[int] = None
        page = max(limit, 50)
        with self.session_scope() as session:
            while len(found) < limit:
                query = sa.select(events_table.id, events_table.data).where(
                    events_table.sender_id == sender_id, events_table.type_name.in_(MESSAGE_EVENT_TYPES)
                )
                if before is not None:
                    query = query.where(events_table.id < before)
                rows = session.execute(query.order_by(events_table.id.desc()).limit(page)).all()
                for row in rows:
                    event = deserialise_event(json.loads(row.data))
                    if event is not None and keep(event):
                        found.append(event)
                        if len(found) == limit:
                            break
                if len(rows) < page:
                    break
                before = rows[-1].id
        return found[::-1]


def checkpoint_state(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """What of a tracker's state a checkpoint keeps (the rest comes from the events after it)."""
    loop = tracker.active_loop
    return {
        "slots": {
            name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value
        },
        "active_loop": None if loop is None else {
            "name": loop.name, "is_interrupted": loop.is_interrupted, "rejected": loop.rejected,
        },
        "paused": tracker.is_paused(),
    }


def state_events(state: Dict[str, Any], domain: Domain, timestamp: Optional[float]) -> List[Event]:
    """Events that bring a new tracker to a checkpoint's state (unknown slots are skipped)."""
    known = {slot.name for slot in domain.slots}
    events: List[Event] = [
        SlotSet(name, value, timestamp=timestamp) for name, value in state.get("slots", {}).items() if name in known
    ]
    loop = state.get("active_loop")
    if loop and loop.get("name"):
        events.append(ActiveLoop(loop["name"], timestamp=timestamp))
        if loop.get("is_interrupted"):
            events.append(LoopInterrupted(True, timestamp=timestamp))
        if loop.get("rejected"):
            events.append(ActionExecutionRejected(loop["name"], timestamp=timestamp))
    if state.get("paused"):
        events.append(ConversationPaused(timestamp=timestamp))
    return events


@functools.lru_cache(maxsize=None)
def _event_class(type_name: Text) -> Optional[type]:
    # `Event.resolve_by_type` walks every Event subclass (with `inspect.isabstract`) on each
    # call; it was a quarter of Rasa's time per message on a long tracker.
    return Event.resolve_by_type(type_name)


def deserialise_event(data: Dict[str, Any]) -> Optional[Event]:
    """`Event.from_parameters`, with the event class looked up once per type."""
    type_name = data.get("event")
    if type_name is None:
        return None
    event_class = _event_class(type_name)
    return event_class._from_parameters(data) if event_class else None


def _unwrap(tracker_store: Any) -> Any:
    """Rasa wraps the configured store (`AwaitableTrackerStore`, `FailSafeTrackerStore`)."""
    seen = 0
    while not isinstance(tracker_store, AdvisorTrackerStore) and hasattr(tracker_store, "_tracker_store") and seen < 5:
        tracker_store, seen = tracker_store._tracker_store, seen + 1
    return tracker_store


async def message_events(
    tracker_store: TrackerStore, sender_id: Text, limit: int, keep: Callable[[Event], bool] = lambda event: True
) -> List[Event]:
    """The latest `limit` user and bot messages of a conversation across all its sessions.

    With `AdvisorTrackerStore` only those are read; any other store rebuilds the full tracker.
    """
    store = _unwrap(tracker_store)
    if isinstance(store, AdvisorTrackerStore):
        return store.message_events(sender_id, limit, keep)
    tracker = await tracker_store.retrieve_full_tracker(sender_id)
    events = [e for e in (tracker.events if tracker else []) if isinstance(e, (UserUttered, BotUttered)) and keep(e)]
    return events[-limit:] if limit > 0 else []


class AdvisorLockStore:
    """The lock store `LOCK_STORE_URL` names (bot.locks), else Rasa's in-memory one.

    `redis://` / `rediss://`: the atomic Redis store, for Rasa servers on several hosts;
    `sqlite:///<file>`: the SQLite lock file, for several Rasa processes on one host.
    """

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None) -> LockStore:  # type: ignore[misc]
        settings = get_settings()
        url = settings.lock_store_url
        if not url:
            if settings.sanic_workers > 1:
                # Rasa accepts several workers with any custom lock store, but in-memory locks are
                # per process: two workers could then handle one conversation at the same time.
                raise ValueError(
                    f"SANIC_WORKERS={settings.sanic_workers} needs a shared lock store: set LOCK_STORE_URL "
                    "to a Redis URL or to sqlite:///var/locks.db, or run one worker (see README, deployment)"
                )
            return InMemoryLockStore()
        if url.startswith("sqlite:"):
            return SQLiteLockStore.from_url(url)
        return AtomicRedisLockStore.from_url(url)
