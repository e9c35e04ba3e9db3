"""The services a process builds from its settings: each once per process, in this one place."""

from __future__ import annotations

import functools

from bot.settings import get_settings
from knowledge.service import KnowledgeService, service_for


@functools.lru_cache(maxsize=1)
def knowledge_service() -> KnowledgeService:
    """The knowledge base and saved plans at `KNOWLEDGE_DB_URL`."""
    return service_for(get_settings().knowledge_db_url)
