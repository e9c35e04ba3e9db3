"""A per-user message rate limit on the intranet channel (issue 11, item 12).

What is defended: a runaway script in one browser tab cannot take the service away from
everyone else. Over `ADVISOR_RATE_LIMIT` messages a minute (default 30) one user's messages get
429 with `Retry-After` and reach no conversation, while other users go on being answered. The
count is kept where `LOCK_STORE_URL` points: in Redis (one atomic script), so two Rasa servers
share it, or in the SQLite lock file (one atomic UPSERT), so the Sanic workers of one host share
it; the Redis tests run against the real server (TEST_REDIS_URL), the SQLite ones count from two
processes at once. Several workers without a shared store are refused.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import pytest

from bot.channels.rate_limit import MemoryRateLimiter, RedisRateLimiter, SQLiteRateLimiter, rate_limiter_for
from bot.settings import Settings
from bot.tokens import issue_token
from tests.channels.test_intranet import request
from tests.security.support import SECRET, bearer, channels_for, serving, settings
from tests.support import race_in_processes, temporary_redis_prefix

WEBHOOK = "/webhooks/intranet/webhook"


async def send_in_turn(urls: Sequence[str], user: str, messages: int = 6) -> Tuple[List[int], int]:
    """`messages` intranet messages of `user`, sent to `urls` in turn: their statuses, and the
    Retry-After of the last reply."""
    statuses = []
    for n in range(messages):
        status, _, headers = await request(
            "POST", urls[n % len(urls)] + WEBHOOK, body={"message": "hello"}, headers=bearer(issue_token(SECRET, user))
        )
        statuses.append(status)
    return statuses, int(headers["retry-after"])


def test_settings_default_and_off() -> None:
    assert Settings.from_env({}).rate_limit == 30
    assert Settings.from_env({"ADVISOR_RATE_LIMIT": "5"}).rate_limit == 5
    assert rate_limiter_for(0, None) is None
    assert isinstance(rate_limiter_for(5, None), MemoryRateLimiter)
    assert isinstance(rate_limiter_for(5, "redis://127.0.0.1:6379/0?key_prefix=x"), RedisRateLimiter)


def test_the_count_follows_the_lock_store_and_is_never_silently_per_worker(tmp_path: Path) -> None:
    limiter = rate_limiter_for(5, f"sqlite:///{tmp_path}/var/locks.db", workers=2)
    assert isinstance(limiter, SQLiteRateLimiter) and limiter.path == f"{tmp_path}/var/locks.db"
    assert isinstance(rate_limiter_for(5, "redis://127.0.0.1:6379/0", workers=2), RedisRateLimiter)
    with pytest.raises(ValueError, match="SANIC_WORKERS=2 needs LOCK_STORE_URL"):
        rate_limiter_for(5, None, workers=2)
    assert rate_limiter_for(0, None, workers=2) is None  # no limit, nothing to share
    with pytest.raises(ValueError):
        rate_limiter_for(5, "postgresql://localhost/locks", workers=2)
    with pytest.raises(ValueError, match="needs LOCK_STORE_URL"):  # the channel of a worker refuses to start
        channels_for(settings(SANIC_WORKERS="2"), rest=False)


async def test_a_user_over_the_limit_gets_429_and_others_are_still_answered(agent: Any) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    async with serving(channels_for(settings(ADVISOR_RATE_LIMIT="3"), rest=False), agent) as url:
        replies = [await request("POST", url + WEBHOOK, body={"message": "hello"}, headers=bearer(issue_token(SECRET, alice)))
                   for _ in range(5)]
        other = await request("POST", url + WEBHOOK, body={"message": "hello"}, headers=bearer(issue_token(SECRET, bob)))
    assert [status for status, _, _ in replies] == [200, 200, 200, 429, 429]
    status, body, headers = replies[3]
    assert body["error"] == "too_many_messages" and "3 messages a minute" in body["reason"]
    assert 1 <= int(headers["retry-after"]) <= 60
    assert other[0] == 200
    user_turns = [e for e in (await agent.tracker_store.retrieve(alice)).events if e.type_name == "user"]
    assert len(user_turns) == 3  # the refused messages reached no conversation


async def test_the_window_ends_and_the_user_may_write_again() -> None:
    limiter = MemoryRateLimiter(limit=2, window=1.0)
    assert [await limiter.retry_after("alice") for _ in range(2)] == [None, None]
    assert await limiter.retry_after("alice") == 1
    await asyncio.sleep(1.05)
    assert await limiter.retry_after("alice") is None


async def test_redis_counts_are_shared_between_servers(agent: Any) -> None:
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    with temporary_redis_prefix() as lock_url:
        shared = settings(ADVISOR_RATE_LIMIT="4", LOCK_STORE_URL=lock_url)
        first, second = channels_for(shared, rest=False), channels_for(shared, rest=False)
        async with serving(first, agent) as one, serving(second, agent) as two:
            statuses, retry_after = await send_in_turn((one, two), alice)
        limiter = first[0].rate_limiter
        import redis

        client = redis.Redis.from_url(lock_url.split("?")[0])
        try:
            key = limiter.key(alice)
            assert key.startswith(lock_url.split("key_prefix=")[1] + ":")
            assert int(client.get(key)) == 6 and 0 < client.pttl(key) <= 60_000
        finally:
            client.close()
        for channel in first + second:
            await channel.rate_limiter.close()
    assert statuses == [200, 200, 200, 200, 429, 429]  # each server alone would have allowed 3 + 3
    assert 1 <= retry_after <= 60


async def test_redis_counting_is_atomic_under_concurrency() -> None:
    with temporary_redis_prefix() as lock_url:
        limiters = [RedisRateLimiter(lock_url, limit=10) for _ in range(4)]
        try:
            results = await asyncio.gather(*(limiters[n % 4].retry_after("burst") for n in range(40)))
        finally:
            for limiter in limiters:
                await limiter.close()
    assert sum(result is None for result in results) == 10


async def test_an_unreachable_redis_lets_messages_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0?key_prefix=nowhere", limit=1)
    assert [await limiter.retry_after("alice") for _ in range(3)] == [None, None, None]
    await limiter.close()


def _count_from_another_process(path: str, user: str, hits: int, start: Any, result: Any) -> None:
    """A second worker: its own connection to the lock file, counting at the same moment."""
    limiter = SQLiteRateLimiter(path, limit=HITS_ALLOWED)
    start.wait(timeout=60)
    result.put([asyncio.run(limiter.retry_after(user)) for _ in range(hits)])


HITS_ALLOWED = 25


def test_sqlite_counts_are_shared_by_two_processes_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "locks.db")
    SQLiteRateLimiter(path, limit=HITS_ALLOWED)  # the table exists before the race
    results: List[Optional[int]] = race_in_processes(_count_from_another_process, (path, "burst", 40))
    assert len(results) == 80
    assert sum(wait is None for wait in results) == HITS_ALLOWED  # per process it would be 2 x 25
    assert all(1 <= wait <= 60 for wait in results if wait is not None)


async def test_sqlite_window_ends_for_every_process_and_old_windows_are_removed(tmp_path: Path) -> None:
    path = str(tmp_path / "locks.db")
    first, second = SQLiteRateLimiter(path, limit=2, window=1.0), SQLiteRateLimiter(path, limit=2, window=1.0)
    assert [await first.retry_after("alice"), await second.retry_after("alice")] == [None, None]
    assert await second.retry_after("alice") == 1 and await first.retry_after("alice") == 1
    assert await first.retry_after("bob") is None  # another user's window
    await asyncio.sleep(1.05)
    assert await second.retry_after("alice") is None  # a new window, seen by both
    assert await first.retry_after("alice") is None
    assert await first.retry_after("alice") == 1
    rows = dict(first._connection().execute("SELECT user_id, count FROM rate_windows").fetchall())
    assert rows == {"alice": 3}  # bob's ended window was deleted
    for limiter in (first, second):
        await limiter.close()


async def test_sqlite_counts_are_shared_between_two_channels(agent: Any, tmp_path: Path) -> None:
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    shared = settings(ADVISOR_RATE_LIMIT="4", LOCK_STORE_URL=f"sqlite:///{tmp_path}/locks.db", SANIC_WORKERS="2")
    first, second = channels_for(shared, rest=False), channels_for(shared, rest=False)
    async with serving(first, agent) as one, serving(second, agent) as two:
        statuses, retry_after = await send_in_turn((one, two), alice)
    for channel in first + second:
        await channel.rate_limiter.close()
    assert statuses == [200, 200, 200, 200, 429, 429]  # each channel alone would have allowed 3 + 3
    assert 1 <= retry_after <= 60
