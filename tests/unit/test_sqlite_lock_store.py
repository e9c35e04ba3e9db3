"""bot.locks.SQLiteLockStore: Rasa's ticket locks shared by the processes of one host through an SQLite file.

Two processes (two Sanic workers) queue on one conversation's lock at the same moment; each
holder does a read-modify-write of a file that only mutual exclusion keeps correct. Every
ticket must be unique, every update must survive, and no ticket may be left behind.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.locks import SQLiteLockStore
from tests.lock_contract import (
    assert_an_expired_ticket_lets_the_next_message_through,
    assert_one_holder_at_a_time,
    release_in_order,
    two_waiting_tickets,
)


def test_two_processes_never_hold_one_conversation_at_once(tmp_path: Path) -> None:
    assert_one_holder_at_a_time(SQLiteLockStore, str(tmp_path / "locks.db"), tmp_path / "counter", "race")


def test_an_expired_ticket_lets_the_next_message_through(tmp_path: Path) -> None:
    assert_an_expired_ticket_lets_the_next_message_through(SQLiteLockStore(str(tmp_path / "locks.db")), "expiring")


def test_tickets_are_never_reused_and_read_as_rasas_ticket_lock(tmp_path: Path) -> None:
    store = SQLiteLockStore(str(tmp_path / "locks.db"))
    first, second, lock = two_waiting_tickets(store, "format")
    assert 9 < lock.tickets[0].expires - time.time() <= 10
    release_in_order(store, "format", first, second)
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
