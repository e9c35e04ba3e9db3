"""The action server's one way to the knowledge base and the saved plans: `get_service()`.

Actions catch `KnowledgeUnavailable` (a database error or a knowledge base never loaded) and
answer `utter_temporarily_unavailable`. Unit tests put an in-memory fake in with `use_service`.
"""

from __future__ import annotations

from typing import FrozenSet, Optional

from bot.services import knowledge_service
from knowledge.classifier import GoalClassifier
from knowledge.plan_input import PlanInputReader
from knowledge.service import KnowledgeService, KnowledgeUnavailable  # noqa: F401 (the actions' error)

_in_use: Optional[KnowledgeService] = None


def get_service() -> KnowledgeService:
    """The process's service, built from the settings on first use (or the one `use_service` set)."""
    return _in_use if _in_use is not None else knowledge_service()


def use_service(service: Optional[KnowledgeService]) -> None:
    """Use `service` from now on (tests); None goes back to the one built from the settings."""
    global _in_use
    _in_use = service


def clear_caches() -> None:
    """Forget the service in use and the one built from the settings (tests switch databases)."""
    use_service(None)
    knowledge_service.cache_clear()


def get_classifier() -> GoalClassifier:
    return get_service().classifier()


def get_input_reader() -> PlanInputReader:
    return get_service().input_reader()


def get_horizon_signals() -> FrozenSet[str]:
    return get_service().horizon_signals()
