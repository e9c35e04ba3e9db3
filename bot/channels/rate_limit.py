"""How many messages one user may send per minute, shared between Rasa servers.

A fixed one-minute window per user: the first message of a window starts it, and once a user
has sent `limit` messages in it the next ones are refused until it ends (the caller answers
429 with `Retry-After`, the seconds left). With `LOCK_STORE_URL` set, the count lives in Redis
(one atomic script: INCR, and EXPIRE on the window's first message), so every Rasa server
behind the load balancer counts the same messages; without it, in this process.

When Redis cannot be reached the message is let through and the failure logged: the lock
store (on the same Redis) then reports the outage, and a limiter must not add a second one.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60

# KEYS[1] the user's counter; ARGV[1] the window in milliseconds. Returns {count, ms left}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {count, left}
"""


@dataclass
class MemoryRateLimiter:
    """Counts in this process (one Rasa server, no `LOCK_STORE_URL`)."""

    limit: int
    window: float = WINDOW_SECONDS
    _windows: Dict[str, Tuple[float, int]] = field(default_factory=dict)

    async def retry_after(self, user: str) -> Optional[int]:
        """Count one message of `user`; None if it may pass, else the seconds to wait."""
        now = time.monotonic()
        if len(self._windows) > 10_000:  # forget windows that have ended
            self._windows = {key: value for key, value in self._windows.items() if value[0] + self.window > now}
        started, count = self._windows.get(user, (now, 0))
        if started + self.window <= now:
            started, count = now, 0
        count += 1
        self._windows[user] = (started, count)
        if count <= self.limit:
            return None
        return max(1, math.ceil(started + self.window - now))


class RedisRateLimiter:
    """Counts in Redis, shared by every server on the same `LOCK_STORE_URL`."""

    def __init__(self, url: str, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._connection_url, prefix = _split_url(url)
        self.key_prefix = f"{prefix}:" if prefix else ""
        self._client = None
        self._script = None

    def key(self, user: str) -> str:
        return f"{self.key_prefix}advisor_rate:{user}"

    async def retry_after(self, user: str) -> Optional[int]:
        try:
            count, left_ms = await self._hit(user)
        except Exception as error:  # noqa: BLE001 - any Redis failure: let the message through
            logger.warning("rate limit: Redis is not reachable (%s); the message is not counted", error)
            return None
        if count <= self.limit:
            return None
        return max(1, math.ceil(left_ms / 1000))

    async def _hit(self, user: str) -> Tuple[int, int]:
        if self._script is None:
            from redis import asyncio as redis_asyncio

            self._client = redis_asyncio.Redis.from_url(self._connection_url, socket_timeout=2)
            self._script = self._client.register_script(_HIT)
        count, left = await self._script(keys=[self.key(user)], args=[int(self.window * 1000)])
        return int(count), int(left)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client, self._script = None, None


def _split_url(url: str) -> Tuple[str, str]:
    """(the URL redis-py connects to, the `key_prefix` query value) of a `LOCK_STORE_URL`."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must be a redis:// or rediss:// URL, got {parts.scheme!r}")
    prefix = unquote(parse_qs(parts.query).get("key_prefix", [""])[0])
    return parts._replace(query="", fragment="").geturl(), prefix


def rate_limiter_for(limit: int, lock_store_url: Optional[str]):
    """The limiter the settings ask for, or None when `limit` is 0 (no limit)."""
    if limit <= 0:
        return None
    if lock_store_url:
        return RedisRateLimiter(lock_store_url, limit)
    return MemoryRateLimiter(limit)
