"""What every lock store of bot.locks must keep, checked the same way for each one
(tests/unit/test_sqlite_lock_store.py, tests/deployment/test_lock_store.py).

`open_store` is picklable (a class, or a class's `from_url`): the race opens the store anew in
each spawned process, as each Rasa server or Sanic worker does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path
from typing import Callable, List, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockStore

from tests.support import race_in_processes

OpenStore = Callable[[str], LockStore]


def _hammer(open_store: OpenStore, where: str, counter: str, conversation: str, tasks: int,
            start: "multiprocessing.synchronize.Barrier", result: "multiprocessing.Queue[List[int]]") -> None:
    store = open_store(where)
    tickets: List[int] = []

    async def one() -> None:
        async with store.lock(conversation, lock_lifetime=30):
            value = int(Path(counter).read_text() or 0)  # read ...
            await asyncio.sleep(0.002)                    # ... let the others run ...
            Path(counter).write_text(str(value + 1))      # ... write back: lost if two hold the lock

    async def main() -> None:
        original = store.issue_ticket

        def recording(conversation_id: str, lock_lifetime: float = 30) -> int:
            ticket = original(conversation_id, lock_lifetime)
            tickets.append(ticket)
            return ticket

        store.issue_ticket = recording  # type: ignore[method-assign]
        store.get_lock(conversation)  # connected before the race
        start.wait(timeout=60)  # both processes queue at the same moment
        await asyncio.gather(*(one() for _ in range(tasks)))

    asyncio.run(main())
    result.put(tickets)


def assert_one_holder_at_a_time(open_store: OpenStore, where: str, counter: Path, conversation: str,
                                tasks: int = 25, processes: int = 2) -> None:
    """Processes queue on one conversation's lock at the same moment; each holder does a
    read-modify-write of `counter` that only mutual exclusion keeps correct. Every ticket must be
    unique, every update must survive, and no ticket may be left behind."""
    counter.write_text("0")
    open_store(where)  # the store exists (an SQLite file: its table) before the race
    tickets = race_in_processes(_hammer, (open_store, where, str(counter), conversation, tasks), processes)
    assert len(tickets) == len(set(tickets)) == tasks * processes, "a ticket was issued twice"
    assert int(counter.read_text()) == tasks * processes, "two processes held the lock at once"
    assert open_store(where).get_lock(conversation) is None, "the lock outlived its last ticket"


def assert_an_expired_ticket_lets_the_next_message_through(store: LockStore, conversation: str = "expiring") -> None:
    stuck = store.issue_ticket(conversation, lock_lifetime=0.3)  # a process killed while holding it
    assert store.serving(conversation, stuck) == (stuck, True)

    async def next_message() -> float:
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=5):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert 0.2 < waited < 5
    assert store.get_lock(conversation) is None  # the expired ticket went with the release


def two_waiting_tickets(store: LockStore, conversation: str) -> Tuple[int, int, TicketLock]:
    """Two tickets issued with a lifetime of 10 s, read back as Rasa's TicketLock: the first is served."""
    first = store.issue_ticket(conversation, lock_lifetime=10)
    second = store.issue_ticket(conversation, lock_lifetime=10)
    lock = store.get_lock(conversation)  # Rasa's TicketLock, parsed by Rasa's own code
    assert [ticket.number for ticket in lock.tickets] == [first, second]
    assert lock.now_serving == first and lock.is_someone_waiting() and lock.is_locked(second)
    return first, second, lock


def release_in_order(store: LockStore, conversation: str, first: int, second: int) -> None:
    """Releasing the first ticket serves the second; releasing that one leaves no lock."""
    store.cleanup(conversation, first)
    assert store.get_lock(conversation).now_serving == second
    store.cleanup(conversation, second)
    assert store.get_lock(conversation) is None
