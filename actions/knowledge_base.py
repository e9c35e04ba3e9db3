"""The action server's access to the knowledge base (one repository per process)."""

from __future__ import annotations

import functools

from bot.settings import get_settings
from knowledge.repository import KnowledgeRepository, repository_for


@functools.lru_cache(maxsize=1)
def get_repository() -> KnowledgeRepository:
    return repository_for(get_settings().knowledge_db_url)
