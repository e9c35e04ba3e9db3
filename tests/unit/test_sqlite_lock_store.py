"""bot.locks.SQLiteLockStore: Rasa's ticket locks shared by the processes of one host through an SQLite file.

Two processes (two Sanic workers) queue on one conversation's lock at the same moment; each
holder does a read-modify-write of a file that only mutual exclusion keeps correct. Every
ticket must be unique, every update must survive, and no ticket may be left behind.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path
from typing import List

import pytest

from bot.locks import SQLiteLockStore


def _hammer(path: str, counter: str, conversation: str, tasks: int,
            start: "multiprocessing.synchronize.Barrier", result: "multiprocessing.Queue[List[int]]") -> None:
    store = SQLiteLockStore(path)
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
        start.wait(timeout=60)  # both processes queue at the same moment
        await asyncio.gather(*(one() for _ in range(tasks)))

    asyncio.run(main())
    result.put(tickets)


def test_two_processes_never_hold_one_conversation_at_once(tmp_path: Path) -> None:
    path, counter = str(tmp_path / "locks.db"), tmp_path / "counter"
    counter.write_text("0")
    SQLiteLockStore(path)  # the table exists before the race
    tasks, processes = 25, 2
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    start = context.Barrier(processes)
    workers = [context.Process(target=_hammer, args=(path, str(counter), "race", tasks, start, result))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    tickets = [ticket for _ in workers for ticket in result.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    assert len(tickets) == len(set(tickets)) == tasks * processes, "a ticket was issued twice"
    assert int(counter.read_text()) == tasks * processes, "two processes held the lock at once"
    assert SQLiteLockStore(path).get_lock("race") is None, "the lock outlived its last ticket"


def test_an_expired_ticket_lets_the_next_message_through(tmp_path: Path) -> None:
    store = SQLiteLockStore(str(tmp_path / "locks.db"))
    stuck = store.issue_ticket("expiring", lock_lifetime=0.3)  # a worker killed while holding it
    assert store.serving("expiring", stuck) == (stuck, True)

    async def next_message() -> float:
        started = time.monotonic()
        async with store.lock("expiring", lock_lifetime=5):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert 0.2 < waited < 5
    assert store.get_lock("expiring") is None  # the expired ticket went with the release


def test_tickets_are_never_reused_and_read_as_rasas_ticket_lock(tmp_path: Path) -> None:
    store = SQLiteLockStore(str(tmp_path / "locks.db"))
    first = store.issue_ticket("format", lock_lifetime=10)
    second = store.issue_ticket("format", lock_lifetime=10)
    lock = store.get_lock("format")  # Rasa's TicketLock
    assert [ticket.number for ticket in lock.tickets] == [first, second]
    assert lock.now_serving == first and lock.is_someone_waiting() and lock.is_locked(second)
    assert 9 < lock.tickets[0].expires - time.time() <= 10
    store.cleanup("format", first)
    assert store.get_lock("format").now_serving == second
    store.cleanup("format", second)
    assert store.get_lock("format") is None
    assert store.issue_ticket("format") > second  # AUTOINCREMENT: a deleted number is not issued again

    lock = store.get_lock("format")  # Rasa's own read-modify-write path still works
    lock.issue_ticket(10)
    store.save_lock(lock)
    assert [t.number for t in store.get_lock("format").tickets] == [t.number for t in lock.tickets]
    store.delete_lock("format")
    assert store.get_lock("format") is None


def test_from_url_and_the_advisor_lock_store(tmp_path: Path, monkeypatch) -> None:
    from bot.stores import AdvisorLockStore

    assert SQLiteLockStore.from_url(f"sqlite:///{tmp_path}/a/locks.db").path == f"{tmp_path}/a/locks.db"
    assert (tmp_path / "a" / "locks.db").exists()
    for wrong in ("sqlite:///", "redis://localhost/0", "sqlite://host/x.db"):
        with pytest.raises(ValueError):
            SQLiteLockStore.from_url(wrong)
    monkeypatch.setenv("LOCK_STORE_URL", f"sqlite:///{tmp_path}/locks.db")
    monkeypatch.setenv("SANIC_WORKERS", "2")
    store = AdvisorLockStore()
    assert isinstance(store, SQLiteLockStore) and store.path == f"{tmp_path}/locks.db"
