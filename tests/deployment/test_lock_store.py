"""bot.locks.AtomicRedisLockStore on the Redis server named by TEST_REDIS_URL.

Two processes (two "Rasa servers") queue on one conversation's lock at the same moment; each
holder does a read-modify-write that only mutual exclusion keeps correct. With Rasa's own
RedisLockStore, tickets are issued by GET + SET from both processes and the same ticket can be
handed out twice (RasaHQ/rasa#9213); with the atomic store every ticket is unique and every
update survives.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.locks import AtomicRedisLockStore
from tests.lock_contract import (
    assert_an_expired_ticket_lets_the_next_message_through,
    assert_one_holder_at_a_time,
    release_in_order,
    two_waiting_tickets,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def lock_url() -> Iterator[str]:
    from tests.support import temporary_redis_prefix

    with temporary_redis_prefix() as url:
        yield url


def test_two_processes_never_hold_one_conversation_at_once(lock_url: str, tmp_path: Path) -> None:
    conversation = f"race-{uuid.uuid4().hex[:8]}"
    assert_one_holder_at_a_time(AtomicRedisLockStore.from_url, lock_url, tmp_path / "counter", conversation)


def test_an_expired_ticket_lets_the_next_message_through(lock_url: str) -> None:
    store = AtomicRedisLockStore.from_url(lock_url)
    assert_an_expired_ticket_lets_the_next_message_through(store, "expiring")
    assert store.red.exists(store.key_prefix + "expiring") == 0


def test_the_lock_is_stored_in_rasas_format_and_expires_with_its_tickets(lock_url: str) -> None:
    store = AtomicRedisLockStore.from_url(lock_url)
    first, second, _ = two_waiting_tickets(store, "format")
    assert 9_000 < store.red.pttl(store.key_prefix + "format") <= 11_000
    release_in_order(store, "format", first, second)


def test_from_url_reads_database_credentials_and_prefix() -> None:
    store = AtomicRedisLockStore.from_url("redis://user:p%40ss@127.0.0.1:6390/3?key_prefix=advisor")
    kwargs = store.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 3)
    assert (kwargs["username"], kwargs["password"]) == ("user", "p@ss")
    assert store.key_prefix == "advisor:lock:" and store.counter_key == "advisor:lock_counter"
    with pytest.raises(ValueError):
        AtomicRedisLockStore.from_url("postgresql://localhost/x")
