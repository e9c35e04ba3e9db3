"""Helpers for tests: the running assistant (bench/servers.py) and services that skip when missing.

The process helpers live in bench/servers.py, which the benchmarks share; here they gain
pytest's behaviour: a missing PostgreSQL or Redis skips the test, or fails it when
ADVISOR_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator, List, Optional, Tuple

import pytest

from bench import servers
from bench.servers import (  # noqa: F401  (re-exported for the tests)
    MODEL,
    PROJECT_DIR,
    Assistant,
    action_server_port,
    environment,
    free_port,
    kill_rasa_server,
    prepare_databases,
    restart_action_server,
    restart_rasa_server,
    start_assistant,
    start_deployment,
    start_rasa_server,
    stop_action_server,
    stop_assistant,
    stop_deployment,
    tracker_store_for,
    wait_until_ready,
)


def services_required() -> bool:
    """In CI a missing PostgreSQL or Redis is a failure, not a skip."""
    return os.environ.get("ADVISOR_REQUIRE_SERVICES") == "1"


def _setting(name: str) -> Optional[str]:
    url = os.environ.get(name)
    if not url:
        if services_required():
            pytest.fail(f"{name} is not set but ADVISOR_REQUIRE_SERVICES=1")
        pytest.skip(f"{name} is not set")
    return url


def postgres_admin_url() -> Optional[str]:
    return _setting("TEST_POSTGRES_URL")


def redis_admin_url() -> str:
    """TEST_REDIS_URL, or skip (fail when ADVISOR_REQUIRE_SERVICES=1)."""
    return _setting("TEST_REDIS_URL")


@contextmanager
def _or_skip(context) -> Iterator[str]:
    with ExitStack() as stack:
        try:
            value = stack.enter_context(context)
        except servers.ServiceUnavailable as error:
            if services_required():
                raise
            pytest.skip(str(error))
        yield value


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test run, dropped afterwards."""
    with _or_skip(servers.temporary_postgres_database(postgres_admin_url())) as url:
        yield url


@contextmanager
def temporary_redis_prefix() -> Iterator[str]:
    """A `LOCK_STORE_URL` on TEST_REDIS_URL with a key prefix of its own; its keys are removed after."""
    with _or_skip(servers.temporary_redis_prefix(redis_admin_url())) as url:
        yield url


def race_in_processes(target: Callable[..., None], args: Tuple[Any, ...], processes: int = 2) -> List[Any]:
    """Runs `target(*args, start, result)` in `processes` spawned processes: each waits on the
    barrier `start`, so they race, and puts a list on the queue `result`. Returns the lists' items
    joined, once every process has exited cleanly."""
    context = multiprocessing.get_context("spawn")
    start, result = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, result)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    items = [item for _ in workers for item in result.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return items
