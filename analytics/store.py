"""Reading Rasa's SQL tracker store (`events` table) with SQLAlchemy Core, streaming.

Only the columns and event types the report needs are read, ordered by id (the primary key),
so one pass over 100,000 events costs one index walk and a `json.loads` per message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

USER, BOT, ACTION = "user", "bot", "action"
READ_TYPES = (USER, BOT, ACTION)
BATCH = 2000
"""Rows fetched at a time while streaming a query."""
SENDERS_PER_QUERY = 500
"""Conversations read by one transcript query (the length of its `IN` list)."""

metadata = sa.MetaData()
# Rasa's `SQLTrackerStore.SQLEvent` (rasa/core/tracker_store.py), the columns the report reads.
events_table = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


class StoreError(Exception):
    """The tracker store cannot be read (missing, no `events` table, unreachable)."""


@dataclass(frozen=True)
class StoredEvent:
    id: int
    sender_id: str
    type_name: str
    timestamp: float
    action_name: Optional[str]
    data: Dict[str, Any]
    """The event's JSON for user and bot events; empty for actions (never parsed)."""


_SINCE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)


def parse_since(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """`30d`, `12h`, `2w`, an ISO date (`2026-11-01`) or `all` -> a UNIX timestamp (None: all)."""
    if value is None or value.strip().lower() in ("", "all"):
        return None
    now = now or datetime.now(timezone.utc)
    match = _SINCE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "w": timedelta(weeks=amount)}[unit]
        return (now - delta).timestamp()
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"--since {value!r}: use a duration such as 30d, 12h or 2w, a date such as 2026-11-01, or all"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def engine_for(url: str) -> Engine:
    return sa.create_engine(url, future=True)


def _check(engine: Engine) -> None:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise StoreError(f"{url.database} does not exist: no conversation has been recorded there")
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                raise StoreError("no `events` table: nothing has been recorded in this tracker store yet")
    except sa.exc.SQLAlchemyError as error:
        raise StoreError(f"cannot read the tracker store: {error.__class__.__name__}: {getattr(error, 'orig', None) or error}") from None


def _rows(engine: Engine, query: Any) -> Iterator[Any]:
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(query)
        for partition in result.partitions(BATCH):
            yield from partition


def _events_query(types: Sequence[str], since: Optional[float]) -> Any:
    """The columns the report reads, of the events of `types` from `since` on, oldest first."""
    t = events_table
    query = sa.select(t.c.id, t.c.sender_id, t.c.type_name, t.c.timestamp, t.c.action_name, t.c.data).where(
        t.c.type_name.in_(types)
    )
    if since is not None:
        query = query.where(t.c.timestamp >= since)
    return query.order_by(t.c.id)


def read_events(engine: Engine, since: Optional[float] = None) -> Iterator[StoredEvent]:
    """User, bot and action events (oldest first) from `since` on."""
    _check(engine)
    loads = json.loads
    for row in _rows(engine, _events_query(READ_TYPES, since)):
        data = loads(row.data) if row.type_name != ACTION and row.data else {}
        yield StoredEvent(row.id, row.sender_id, row.type_name, row.timestamp or 0.0, row.action_name, data)


def read_messages(engine: Engine, senders: Sequence[str], since: Optional[float] = None) -> Iterator[StoredEvent]:
    """The user and bot messages of the given conversations, oldest first (for transcripts)."""
    senders = list(senders)
    for start in range(0, len(senders), SENDERS_PER_QUERY):
        batch = senders[start:start + SENDERS_PER_QUERY]
        query = _events_query((USER, BOT), since).where(events_table.c.sender_id.in_(batch))
        for row in _rows(engine, query):
            yield StoredEvent(row.id, row.sender_id, row.type_name, row.timestamp or 0.0, row.action_name,
                              json.loads(row.data) if row.data else {})


