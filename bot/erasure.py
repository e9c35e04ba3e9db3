"""Right to erasure in the tracker store: one conversation's rows, in one transaction.

Kept apart from `bot.stores` so that `advisor forget` does not import Rasa (seconds): the two
tables are named here, and tests/unit/test_forget.py checks the names against Rasa's
`SQLTrackerStore.SQLEvent` and `bot.stores.TrackerCheckpoint`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import sqlalchemy as sa
from sqlalchemy.engine import make_url

EVENTS = sa.table("events", sa.column("sender_id"))  # Rasa's SQLTrackerStore
CHECKPOINTS = sa.table("tracker_checkpoints", sa.column("sender_id"))  # bot.stores.TrackerCheckpoint
TABLES = (EVENTS, CHECKPOINTS)


def forget_conversation(url: str, sender_id: str) -> Dict[str, int]:
    """Delete conversation `sender_id` from the tracker store at `url`, in one transaction.

    Removes its rows of Rasa's `events` table and its checkpoint (`tracker_checkpoints`) and
    returns how many rows each table lost. Exactly this conversation id: a REST conversation
    and an intranet one of the same person are separate ids. A store that has no such table yet
    (or an SQLite file that does not exist) has nothing to remove, and is not created.
    """
    if not isinstance(sender_id, str) or not sender_id.strip():
        raise ValueError("a conversation id must not be empty")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).exists():
            return {table.name: 0 for table in TABLES}
    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            present = set(sa.inspect(connection).get_table_names())
            return {
                table.name: (
                    connection.execute(sa.delete(table).where(table.c.sender_id == sender_id)).rowcount
                    if table.name in present else 0
                )
                for table in TABLES
            }
    finally:
        engine.dispose()
