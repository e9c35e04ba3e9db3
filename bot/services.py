"""What the action server takes from the settings, read in this one place (actions/ never imports
bot.settings): the knowledge service, built once per process, and two plain values."""

from __future__ import annotations

import functools
from typing import Optional

from bot.settings import get_settings
from knowledge.service import KnowledgeService, service_for


@functools.lru_cache(maxsize=1)
def knowledge_service() -> KnowledgeService:
    """The knowledge base and saved plans at `KNOWLEDGE_DB_URL`."""
    return service_for(get_settings().knowledge_db_url)


def message_limit() -> int:
    """The longest message the assistant reads (ADVISOR_MAX_MESSAGE_CHARS)."""
    return get_settings().max_message_chars


def handoff_contact(language: str) -> Optional[str]:
    """The hand-off contact for `language` (ADVISOR_CONTACT), or None when none is set."""
    return get_settings().contact_for(language)


def check_settings() -> None:
    """Read the settings once, so that a wrong value (ADVISOR_CONTACT, ...) stops the action
    server at start with the variable's name instead of failing every action later."""
    get_settings()
