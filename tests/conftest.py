"""Shared fixtures: knowledge bases on SQLite and PostgreSQL, and the running assistant."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.support import PROJECT_DIR, Assistant, start_assistant, stop_assistant, temporary_postgres_database

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
CONTENT_DIR = PROJECT_DIR / "knowledge" / "content"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'knowledge.db'}"
    else:
        with temporary_postgres_database() as url:
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'knowledge.db'}"


@pytest.fixture
def loaded_kb(sqlite_url: str, monkeypatch) -> str:
    """A SQLite knowledge base loaded from the real content, set as KNOWLEDGE_DB_URL."""
    from actions.knowledge_base import clear_caches
    from knowledge.service import load

    load(CONTENT_DIR, sqlite_url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", sqlite_url)
    clear_caches()
    yield sqlite_url
    clear_caches()


@pytest.fixture
def fake_kb() -> Iterator[None]:
    """The actions use an in-memory knowledge service over the real content (tests/fakes.py)."""
    from actions.knowledge_base import use_service
    from tests.fakes import shared_fake_service

    use_service(shared_fake_service())
    yield
    use_service(None)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory) -> Iterator[Assistant]:
    """The trained assistant with its action server, on free ports, with a fresh database."""
    running = start_assistant(tmp_path_factory.mktemp("assistant"))
    yield running
    stop_assistant(running)
