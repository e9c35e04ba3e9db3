"""A per-user message rate limit on the intranet channel (issue 11, item 12).

What is defended: a runaway script in one browser tab cannot take the service away from
everyone else. Over `ADVISOR_RATE_LIMIT` messages a minute (default 30) one user's messages get
429 with `Retry-After` and reach no conversation, while other users go on being answered. With
`LOCK_STORE_URL` set the count is kept in Redis (one atomic script), so two Rasa servers share
it; the Redis tests run against the real server (TEST_REDIS_URL).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from bot.channels.rate_limit import MemoryRateLimiter, RedisRateLimiter, rate_limiter_for
from bot.settings import Settings
from bot.tokens import issue_token
from tests.channels.test_intranet import request
from tests.security.support import SECRET, bearer, channels_for, serving, settings
from tests.support import temporary_redis_prefix

WEBHOOK = "/webhooks/intranet/webhook"


def test_settings_default_and_off() -> None:
    assert Settings.from_env({}).rate_limit == 30
    assert Settings.from_env({"ADVISOR_RATE_LIMIT": "5"}).rate_limit == 5
    assert rate_limiter_for(0, None) is None
    assert isinstance(rate_limiter_for(5, None), MemoryRateLimiter)
    assert isinstance(rate_limiter_for(5, "redis://127.0.0.1:6379/0?key_prefix=x"), RedisRateLimiter)


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
            statuses = []
            for n in range(6):
                status, body, headers = await request(
                    "POST", (one, two)[n % 2] + WEBHOOK, body={"message": "hello"}, headers=bearer(issue_token(SECRET, alice))
                )
                statuses.append(status)
            retry_after = int(headers["retry-after"])
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
