"""Tracker and lock stores chosen from the environment (`TRACKER_STORE_URL`, `LOCK_STORE_URL`).

`bot/endpoints.yml` names these classes, so one endpoints file serves every deployment:
unset variables give the embedded defaults (an SQLite tracker file under `var/`, so
conversations survive a restart, and an in-memory lock store); a company sets a PostgreSQL
URL and a Redis URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.settings import get_settings


class AdvisorTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the database named by `TRACKER_STORE_URL`."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = make_url(get_settings().tracker_store_url)
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            event_broker=event_broker,
            query=dict(url.query),
            **kwargs,
        )


class AdvisorLockStore:
    """Builds Rasa's Redis lock store when `LOCK_STORE_URL` is set, else the in-memory one."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None) -> LockStore:  # type: ignore[misc]
        url = get_settings().lock_store_url
        if not url:
            return InMemoryLockStore()
        parsed = make_url(url)
        return RedisLockStore(
            host=parsed.host or "localhost",
            port=parsed.port or 6379,
            db=int(parsed.database or 0),
            password=parsed.password,
            use_ssl=parsed.drivername == "rediss",
            key_prefix=parsed.query.get("key_prefix"),
        )
