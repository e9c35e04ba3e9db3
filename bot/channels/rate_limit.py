"""How many messages one user may send per minute, shared between Rasa servers.

A fixed one-minute window per user: the first message of a window starts it, and once a user
has sent `limit` messages in it the next ones are refused until it ends (the caller answers
429 with `Retry-After`, the seconds left). The count lives where the lock store does, so every
process that shares the conversations' locks also shares the counts:

- `LOCK_STORE_URL=redis://...`: in Redis (one atomic script: INCR, and EXPIRE on the window's
  first message), for every Rasa server behind the load balancer;
- `LOCK_STORE_URL=sqlite:///<file>`: in a table of the SQLite lock file (one atomic UPSERT),
  for the Sanic workers of one host (`SANIC_WORKERS=2` on the embedded deployment);
- unset: in this process, which is then the only one (more than one worker without a shared
  store is refused, as the lock store refuses it).

When the store cannot be reached the message is let through and the failure logged: the lock
store (on the same Redis or file) then reports the outage, and a limiter must not add a second one.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
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


class SQLiteRateLimiter:
    """Counts in the SQLite lock file, shared by every process of this host on the same file.

    One row per user (the window's start and its count). Counting a message is one statement,
    an UPSERT that starts a new window when the old one has ended and returns the row; SQLite
    runs it as one write transaction, so two workers never count over each other. Windows that
    ended are deleted at most once a window per process. Times are this host's clock
    (`time.time()`), which the processes sharing the file share.
    """

    _SCHEMA = ("CREATE TABLE IF NOT EXISTS rate_windows ("
               " user_id TEXT PRIMARY KEY, started REAL NOT NULL, count INTEGER NOT NULL)")
    _HIT = ("INSERT INTO rate_windows (user_id, started, count) VALUES (:user, :now, 1)"
            " ON CONFLICT (user_id) DO UPDATE SET"
            "  started = CASE WHEN started + :window <= :now THEN :now ELSE started END,"
            "  count = CASE WHEN started + :window <= :now THEN 1 ELSE count + 1 END"
            " RETURNING started, count")

    def __init__(self, path: str, limit: int, window: float = WINDOW_SECONDS, busy_timeout: float = 30.0) -> None:
        self.limit = limit
        self.window = window
        self.path = path
        self.busy_timeout = busy_timeout
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db: Optional[sqlite3.Connection] = None
        self._pid = 0
        self._connection().close()  # the file and its table exist, a bad path fails now
        self._db = None
        self._pruned = time.time()

    def _connection(self) -> sqlite3.Connection:
        """This process's connection. Rasa builds the channels before Sanic forks its workers, and
        an SQLite connection must never cross a fork: each worker opens its own on first use."""
        if self._db is None or self._pid != os.getpid():
            from bot.locks import connect_shared_file

            self._db = connect_shared_file(self.path, self.busy_timeout)
            self._db.execute(self._SCHEMA)
            self._pid = os.getpid()
        return self._db

    @classmethod
    def from_url(cls, url: str, limit: int, window: float = WINDOW_SECONDS) -> "SQLiteRateLimiter":
        """`sqlite:///relative/path.db` or `sqlite:////absolute/path.db`, as the lock store reads it."""
        from bot.locks import SQLiteLockStore

        return cls(SQLiteLockStore.path_of(url), limit, window)

    async def retry_after(self, user: str) -> Optional[int]:
        now = time.time()
        try:
            db = self._connection()
            started, count = db.execute(self._HIT, {"user": user, "now": now, "window": self.window}).fetchone()
            if now - self._pruned > self.window:
                self._pruned = now
                db.execute("DELETE FROM rate_windows WHERE started + ? <= ?", (self.window, now))
        except sqlite3.Error as error:
            logger.warning("rate limit: the SQLite file %s is not usable (%s); the message is not counted",
                           self.path, error)
            return None
        if count <= self.limit:
            return None
        return max(1, math.ceil(started + self.window - now))

    async def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def _split_url(url: str) -> Tuple[str, str]:
    """(the URL redis-py connects to, the `key_prefix` query value) of a `LOCK_STORE_URL`."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must be a redis:// or rediss:// URL, got {parts.scheme!r}")
    prefix = unquote(parse_qs(parts.query).get("key_prefix", [""])[0])
    return parts._replace(query="", fragment="").geturl(), prefix


def rate_limiter_for(limit: int, lock_store_url: Optional[str], workers: int = 1):
    """The limiter the settings ask for, or None when `limit` is 0 (no limit).

    It counts where the lock store is (`LOCK_STORE_URL`); `workers` is `SANIC_WORKERS`: with more
    than one and no shared store, a per-process count would silently multiply the limit.
    """
    if limit <= 0:
        return None
    if not lock_store_url:
        if workers > 1:
            raise ValueError(f"SANIC_WORKERS={workers} needs LOCK_STORE_URL for a rate limit shared by the "
                             "workers (a Redis URL or sqlite:///var/locks.db), or ADVISOR_RATE_LIMIT=0")
        return MemoryRateLimiter(limit)
    if lock_store_url.startswith("sqlite:"):
        return SQLiteRateLimiter.from_url(lock_store_url, limit)
    return RedisRateLimiter(lock_store_url, limit)
