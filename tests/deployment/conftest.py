"""The company deployment, started once for the tests in this folder.

`company`: two PostgreSQL databases (knowledge base + plans, and conversations) made for this
run and dropped after it, a Redis lock store under a key prefix of this run (its keys removed
after), one action server and two Rasa servers, all on free loopback ports. Without
TEST_POSTGRES_URL / TEST_REDIS_URL its tests are skipped (they fail when
ADVISOR_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from tests.support import (
    MODEL,
    Assistant,
    start_deployment,
    stop_deployment,
    temporary_postgres_database,
    temporary_redis_prefix,
)


@pytest.fixture(scope="session")
def model_copy(tmp_path_factory) -> Path:
    """The trained model, copied: a `make train` elsewhere must not swap it under running servers."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it)")
    target = tmp_path_factory.mktemp("model") / MODEL.name
    shutil.copy2(MODEL, target)
    return target


@dataclass
class Company:
    servers: List[Assistant]
    knowledge_db_url: str
    tracker_store_url: str
    lock_store_url: str

    @property
    def env(self) -> Dict[str, str]:
        return self.servers[0].env


@pytest.fixture(scope="session")
def company(tmp_path_factory, model_copy: Path) -> Iterator[Company]:
    with temporary_postgres_database() as knowledge_db, temporary_postgres_database() as tracker_db, \
            temporary_redis_prefix() as lock_url:
        servers = start_deployment(
            tmp_path_factory.mktemp("company"),
            {"KNOWLEDGE_DB_URL": knowledge_db, "TRACKER_STORE_URL": tracker_db, "LOCK_STORE_URL": lock_url},
            rasa_servers=2,
            model=model_copy,
        )
        try:
            yield Company(servers, knowledge_db, tracker_db, lock_url)
        finally:
            stop_deployment(servers)
