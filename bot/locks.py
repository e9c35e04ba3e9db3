"""A Redis lock store whose every read-modify-write is one atomic Redis operation.

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

Configuration: `AtomicRedisLockStore.from_url("redis://host:6379/0?key_prefix=advisor")`, or
in endpoints.yml `lock_store: {type: bot.locks.AtomicRedisLockStore, url: host, port: 6379,
db: 0, key_prefix: advisor}`.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text
from urllib.parse import parse_qs, unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

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


class AtomicRedisLockStore(RedisLockStore):
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

    # -- waiting ---------------------------------------------------------------------------------

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
