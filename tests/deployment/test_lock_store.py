"""bot.locks.AtomicRedisLockStore on the Redis server named by TEST_REDIS_URL.

Two processes (two "Rasa servers") queue on one conversation's lock at the same moment; each
holder does a read-modify-write that only mutual exclusion keeps correct. With Rasa's own
RedisLockStore, tickets are issued by GET + SET from both processes and the same ticket can be
handed out twice (RasaHQ/rasa#9213); with the atomic store every ticket is unique and every
update survives.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from typing import Iterator, List

import pytest

from bot.locks import AtomicRedisLockStore

pytestmark = pytest.mark.redis


@pytest.fixture
def lock_url() -> Iterator[str]:
    from tests.support import temporary_redis_prefix

    with temporary_redis_prefix() as url:
        yield url


def _hammer(url: str, conversation: str, tasks: int, start: "multiprocessing.synchronize.Barrier",
            result: "multiprocessing.Queue[List[int]]") -> None:
    store = AtomicRedisLockStore.from_url(url)
    counter = store.key_prefix + "test-counter:" + conversation
    tickets: List[int] = []

    async def one() -> None:
        async with store.lock(conversation, lock_lifetime=30):
            value = int(store.red.get(counter) or 0)  # read ...
            await asyncio.sleep(0.002)                 # ... let the others run ...
            store.red.set(counter, value + 1)          # ... write back: lost if two hold the lock

    async def main() -> None:
        original = store.issue_ticket

        def recording(conversation_id: str, lock_lifetime: float = 30) -> int:
            ticket = original(conversation_id, lock_lifetime)
            tickets.append(ticket)
            return ticket

        store.issue_ticket = recording  # type: ignore[method-assign]
        store.red.ping()
        start.wait(timeout=60)  # both processes queue at the same moment
        await asyncio.gather(*(one() for _ in range(tasks)))

    asyncio.run(main())
    result.put(tickets)


def test_two_processes_never_hold_one_conversation_at_once(lock_url: str) -> None:
    conversation = f"race-{uuid.uuid4().hex[:8]}"
    tasks, processes = 25, 2
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    start = context.Barrier(processes)
    workers = [context.Process(target=_hammer, args=(lock_url, conversation, tasks, start, result))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    tickets = [ticket for _ in workers for ticket in result.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    store = AtomicRedisLockStore.from_url(lock_url)
    assert len(tickets) == len(set(tickets)) == tasks * processes, "a ticket was issued twice"
    assert int(store.red.get(store.key_prefix + "test-counter:" + conversation)) == tasks * processes
    assert store.get_lock(conversation) is None, "the lock outlived its last ticket"


def test_an_expired_ticket_lets_the_next_message_through(lock_url: str) -> None:
    store = AtomicRedisLockStore.from_url(lock_url)
    stuck = store.issue_ticket("expiring", lock_lifetime=0.3)  # a server killed while holding it
    assert store.serving("expiring", stuck) == (stuck, True)

    async def next_message() -> float:
        started = time.monotonic()
        async with store.lock("expiring", lock_lifetime=5):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert 0.2 < waited < 5
    assert store.red.exists(store.key_prefix + "expiring") == 0


def test_the_lock_is_stored_in_rasas_format_and_expires_with_its_tickets(lock_url: str) -> None:
    store = AtomicRedisLockStore.from_url(lock_url)
    first = store.issue_ticket("format", lock_lifetime=10)
    second = store.issue_ticket("format", lock_lifetime=10)
    lock = store.get_lock("format")  # Rasa's TicketLock, parsed by Rasa's own code
    assert [ticket.number for ticket in lock.tickets] == [first, second]
    assert lock.now_serving == first and lock.is_someone_waiting()
    assert 9_000 < store.red.pttl(store.key_prefix + "format") <= 11_000
    store.cleanup("format", first)
    assert store.get_lock("format").now_serving == second
    store.cleanup("format", second)
    assert store.get_lock("format") is None


def test_from_url_reads_database_credentials_and_prefix() -> None:
    store = AtomicRedisLockStore.from_url("redis://user:p%40ss@127.0.0.1:6390/3?key_prefix=advisor")
    kwargs = store.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 3)
    assert (kwargs["username"], kwargs["password"]) == ("user", "p@ss")
    assert store.key_prefix == "advisor:lock:" and store.counter_key == "advisor:lock_counter"
    with pytest.raises(ValueError):
        AtomicRedisLockStore.from_url("postgresql://localhost/x")
