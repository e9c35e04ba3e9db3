"""Lock stores whose every read-modify-write is one atomic operation: Redis, and an SQLite file.

Several Rasa servers that share a tracker store must handle the messages of one conversation
one at a time, in the order they arrived, whichever server receives them. Rasa does that with
a ticket lock per conversation (`rasa.core.lock.TicketLock`): each message takes the next
ticket and waits until its ticket is the first one left. Rasa's own `RedisLockStore` keeps the
lock as a JSON value but changes it in separate steps (GET, change in Python, SET): two
servers that issue a ticket at the same moment both read the same lock and both write it back
with "their" ticket, so both get the same number, both run at once, and the conversation's
events interleave or get lost (RasaHQ/rasa#9213). Releasing has the same race (a server may
delete a lock another server has just queued on).

This store keeps Rasa's data format (a key `<prefix>:lock:<conversation id>` holding the
`TicketLock` JSON, readable by `get_lock`) and Rasa's algorithm, but runs each change as a Lua
script, which Redis executes atomically:

- issuing a ticket takes its number from one counter (`INCR`), so numbers are unique and
  never reused, even after a lock expired or was deleted;
- waiting asks Redis which ticket is served now (dropping expired tickets in the same step);
- releasing removes the ticket and deletes the lock when no ticket is left, in one step;
- every lock key expires by itself when its last ticket does, so a killed server leaves
  nothing behind for longer than the lock lifetime.

Time comes from the Redis server (`TIME`), so servers on machines whose clocks differ still
agree on when a ticket expires. A waiting message polls with a short back-off (10 ms up to
100 ms) instead of Rasa's fixed second, so a queue of messages of one conversation moves on
as soon as each is done.

`SQLiteLockStore` does the same with one row per ticket in an SQLite file, for several Rasa
processes on one host without Redis (the embedded deployment with `SANIC_WORKERS=2`).

Configuration: `AtomicRedisLockStore.from_url("redis://host:6379/0?key_prefix=advisor")`, or
in endpoints.yml `lock_store: {type: bot.locks.AtomicRedisLockStore, url: host, port: 6379,
db: 0, key_prefix: advisor}`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncGenerator, Optional, Text
from urllib.parse import parse_qs, unquote, urlsplit

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from knowledge.db import sqlite_embedded_pragmas

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1

# Shared by the scripts: read the lock, keep the tickets that have not expired, write it back.
# Tickets are stored as Rasa stores them: a list of JSON strings {"number": n, "expires": t}.
_COMMON = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

local function load(key, at)
  local raw = redis.call('GET', key)
  local live, dropped = {}, false
  if raw then
    local data = cjson.decode(raw)
    local items = data['tickets']
    if type(items) == 'table' then
      for _, item in ipairs(items) do
        local ticket = item
        if type(item) == 'string' then ticket = cjson.decode(item) end
        if tonumber(ticket['expires']) >= at then
          table.insert(live, {number = tonumber(ticket['number']), expires = tonumber(ticket['expires'])})
        else
          dropped = true
        end
      end
    end
  end
  return live, dropped
end

local function store(key, conversation_id, tickets, at)
  if #tickets == 0 then
    redis.call('DEL', key)
    return
  end
  local encoded, last = {}, 0
  for i, ticket in ipairs(tickets) do
    encoded[i] = cjson.encode({number = ticket.number, expires = ticket.expires})
    if ticket.expires > last then last = ticket.expires end
  end
  local value = cjson.encode({conversation_id = conversation_id, tickets = encoded})
  -- the key outlives its last ticket by a second, then Redis removes it
  redis.call('SET', key, value, 'PX', math.ceil((last - at) * 1000) + 1000)
end
"""

# KEYS: lock key, counter key. ARGV: conversation id, lifetime (s). Returns the ticket number.
_ISSUE = _COMMON + """
local at = now()
local tickets = load(KEYS[1], at)
local number = redis.call('INCR', KEYS[2])
table.insert(tickets, {number = number, expires = at + tonumber(ARGV[2])})
store(KEYS[1], ARGV[1], tickets, at)
return number
"""

# KEYS: lock key. ARGV: conversation id, ticket number.
# Returns {number of the ticket served now (-1: none), 1 if the ticket is still queued else 0}.
_SERVING = _COMMON + """
local at = now()
local tickets, dropped = load(KEYS[1], at)
if dropped then store(KEYS[1], ARGV[1], tickets, at) end
local mine = tonumber(ARGV[2])
local present = 0
for _, ticket in ipairs(tickets) do
  if ticket.number == mine then present = 1 end
end
local head = -1
if #tickets > 0 then head = tickets[1].number end
return {head, present}
"""

# KEYS: lock key. ARGV: conversation id, ticket number. Returns the number of tickets left.
_RELEASE = _COMMON + """
local at = now()
local tickets = load(KEYS[1], at)
local mine = tonumber(ARGV[2])
local left = {}
for _, ticket in ipairs(tickets) do
  if ticket.number ~= mine then table.insert(left, ticket) end
end
store(KEYS[1], ARGV[1], left, at)
return #left
"""

# KEYS: lock key. ARGV: conversation id. Drops expired tickets; returns the number left.
_EXPIRE = _COMMON + """
local at = now()
local tickets, dropped = load(KEYS[1], at)
if dropped then store(KEYS[1], ARGV[1], tickets, at) end
return #tickets
"""


def connect_shared_file(path: Text, busy_timeout: float) -> sqlite3.Connection:
    """An autocommit connection (each statement its own transaction) to an SQLite file that the
    Rasa processes of this host share, with the embedded stores' settings (WAL,
    `synchronous=NORMAL`: knowledge.db.sqlite_embedded_pragmas). Used from the event loop's thread."""
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    sqlite_embedded_pragmas(connection)
    return connection


class _PolledTicketLock:
    """Rasa's `LockStore.lock` on atomic ticket operations, with a short back-off.

    The store supplies `issue_ticket`, `serving(conversation_id, ticket) -> (head, present)`,
    `cleanup`, `get_lock` and `poll_seconds`.
    """

    poll_seconds: float

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: Optional[float] = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Wait for this message's turn in its conversation; `wait_time_in_seconds` caps the poll."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds or MAX_POLL_SECONDS)
        finally:
            try:
                self.cleanup(conversation_id, ticket)
            except Exception:  # the lock expires by itself; do not hide the real outcome
                logger.exception("could not release the lock of conversation '%s'", conversation_id)

    async def _acquire_lock(self, conversation_id: Text, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        delay = min(self.poll_seconds, wait_time_in_seconds)
        while True:
            head, present = self.serving(conversation_id, ticket)
            if not present:  # our ticket expired while we waited
                break
            if head == ticket:
                logger.debug("Acquired lock for conversation '%s' (ticket %s).", conversation_id, ticket)
                return self.get_lock(conversation_id) or TicketLock(conversation_id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, wait_time_in_seconds)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


class AtomicRedisLockStore(_PolledTicketLock, RedisLockStore):
    """Rasa's `RedisLockStore` with atomic ticket operations (see the module docstring)."""

    def __init__(
        self,
        host: Text = "localhost",
        port: int = 6379,
        db: int = 0,
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        use_ssl: bool = False,
        key_prefix: Optional[Text] = None,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        endpoint_config: Optional[EndpointConfig] = None,
        **kwargs: Any,
    ) -> None:
        if endpoint_config is not None:  # `type: bot.locks.AtomicRedisLockStore` in endpoints.yml
            options = dict(endpoint_config.kwargs)
            host = endpoint_config.url or host
            port = int(options.pop("port", port))
            db = int(options.pop("db", db))
            username = options.pop("username", username)
            password = options.pop("password", password)
            use_ssl = bool(options.pop("use_ssl", use_ssl))
            key_prefix = options.pop("key_prefix", key_prefix)
            kwargs = {**options, **kwargs}
        super().__init__(
            host=host, port=port, db=db, username=username, password=password, use_ssl=use_ssl,
            key_prefix=key_prefix, **kwargs,
        )
        self.poll_seconds = poll_seconds
        self.counter_key = self.key_prefix.rstrip(":") + "_counter"
        self._issue = self.red.register_script(_ISSUE)
        self._serving = self.red.register_script(_SERVING)
        self._release = self.red.register_script(_RELEASE)
        self._expire = self.red.register_script(_EXPIRE)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "AtomicRedisLockStore":
        """`redis://[user:password@]host[:port][/db][?key_prefix=name]` (`rediss://` for TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"LOCK_STORE_URL must be a redis:// or rediss:// URL, got {parts.scheme!r}")
        query = parse_qs(parts.query)
        path = parts.path.strip("/")
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(path or query.get("db", ["0"])[0]),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=parts.scheme == "rediss",
            key_prefix=query.get("key_prefix", [None])[0],
            **kwargs,
        )

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    # -- the ticket operations, each one Redis call -------------------------------------------

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(
                self._issue(keys=[self._key(conversation_id), self.counter_key], args=[conversation_id, lock_lifetime])
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def serving(self, conversation_id: Text, ticket: int) -> "tuple[int, bool]":
        """(number of the ticket served now or -1, whether `ticket` is still queued)."""
        head, present = self._serving(keys=[self._key(conversation_id)], args=[conversation_id, ticket])
        return int(head), bool(int(present))

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._release(keys=[self._key(conversation_id)], args=[conversation_id, ticket_number])

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # Rasa's cleanup = finish_serving + delete when nobody waits; the script does both at once.
        self.finish_serving(conversation_id, ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        self._expire(keys=[self._key(conversation_id)], args=[conversation_id])


class SQLiteLockStore(_PolledTicketLock, LockStore):
    """Rasa's ticket locks in an SQLite file, for Rasa processes on one host (`SANIC_WORKERS`).

    The embedded deployment has no Redis, and Rasa's in-memory lock store is per process, so
    without this a second Sanic worker could answer two messages of one conversation at once.
    Every ticket is a row of one table; each change is one SQL statement, which SQLite runs
    atomically whichever process sends it:

    - issuing a ticket inserts a row; its number is the row's `AUTOINCREMENT` id, unique and
      never reused (SQLite's `sqlite_sequence`), even after tickets expired or were deleted;
    - waiting asks which live ticket of the conversation has the lowest number;
    - releasing deletes the ticket, and the conversation's expired tickets with it.

    Expiry uses this host's clock (`time.time()`): the processes that share the file share
    the host (an SQLite file on a network share is not supported by SQLite anyway). The file
    runs in WAL mode with `synchronous=NORMAL` like the embedded tracker store: a lock outlives
    a process crash (tickets expire), and a power cut loses at most the latest tickets, which
    belonged to messages that were lost with the processes anyway.

    `LOCK_STORE_URL=sqlite:///var/locks.db` (relative to the working directory, like the other
    SQLite URLs; `sqlite:////abs/path.db` for an absolute path).
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS lock_tickets ("
        " number INTEGER PRIMARY KEY AUTOINCREMENT,"
        " conversation_id TEXT NOT NULL,"
        " expires REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS lock_tickets_conversation ON lock_tickets (conversation_id, number)",
    )

    def __init__(self, path: Text, poll_seconds: float = DEFAULT_POLL_SECONDS, busy_timeout: float = 30.0) -> None:
        super().__init__()
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.poll_seconds = poll_seconds
        # one connection per process, used from the event loop's thread (Rasa calls the lock store there)
        self._db = connect_shared_file(path, busy_timeout)
        for statement in self._SCHEMA:
            self._db.execute(statement)

    @staticmethod
    def path_of(url: str) -> str:
        """The file of `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`."""
        prefix = "sqlite:///"
        if not url.startswith(prefix) or len(url) == len(prefix):
            raise ValueError(f"an SQLite LOCK_STORE_URL is sqlite:///<file>, got {url!r}")
        return unquote(url[len(prefix):].split("?", 1)[0])

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "SQLiteLockStore":
        """`sqlite:///relative/path.db` or `sqlite:////absolute/path.db`."""
        return cls(cls.path_of(url), **kwargs)

    # -- the ticket operations, each one SQL statement -------------------------------------------

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            cursor = self._db.execute(
                "INSERT INTO lock_tickets (conversation_id, expires) VALUES (?, ?)",
                (conversation_id, time.time() + lock_lifetime),
            )
            return int(cursor.lastrowid)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def serving(self, conversation_id: Text, ticket: int) -> "tuple[int, bool]":
        """(number of the live ticket served now or -1, whether `ticket` is still live)."""
        head, present = self._db.execute(
            "SELECT min(number), coalesce(max(number = ?), 0) FROM lock_tickets"
            " WHERE conversation_id = ? AND expires >= ?",
            (ticket, conversation_id, time.time()),
        ).fetchone()
        return (-1 if head is None else int(head)), bool(present)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._db.execute(
            "DELETE FROM lock_tickets WHERE conversation_id = ? AND (number = ? OR expires < ?)",
            (conversation_id, ticket_number, time.time()),
        )

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # Rasa's cleanup = finish_serving + delete when nobody waits: with a row per ticket,
        # the lock is gone when its last row is.
        self.finish_serving(conversation_id, ticket_number)

    def update_lock(self, conversation_id: Text) -> None:
        self._db.execute("DELETE FROM lock_tickets WHERE conversation_id = ? AND expires < ?",
                         (conversation_id, time.time()))

    # -- Rasa's TicketLock view (get_lock and the API that uses it) ------------------------------

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        rows = self._db.execute(
            "SELECT number, expires FROM lock_tickets WHERE conversation_id = ? ORDER BY number", (conversation_id,)
        ).fetchall()
        if not rows:
            return None
        return TicketLock(conversation_id, deque(Ticket(int(number), float(expires)) for number, expires in rows))

    def delete_lock(self, conversation_id: Text) -> None:
        self._db.execute("DELETE FROM lock_tickets WHERE conversation_id = ?", (conversation_id,))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets with `lock`'s, in one transaction."""
        with self._db:  # BEGIN ... COMMIT
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM lock_tickets WHERE conversation_id = ?", (lock.conversation_id,))
            self._db.executemany(
                "INSERT INTO lock_tickets (number, conversation_id, expires) VALUES (?, ?, ?)",
                [(ticket.number, lock.conversation_id, ticket.expires) for ticket in lock.tickets],
            )
