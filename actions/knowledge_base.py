"""The action server's access to the knowledge base and the saved plans (one of each per process).

The goal classifier, the drafting labels and the input reader are built once from the
knowledge base's content; after `advisor kb load`, restart the action server to pick up changes.
"""

from __future__ import annotations

import functools

from bot.settings import get_settings
from knowledge.classifier import GoalClassifier, classifier_from_repository
from knowledge.drafting import Drafting, drafting_from_repository
from knowledge.plan_input import PlanInputReader
from knowledge.plans import SavedPlans, plans_for
from knowledge.repository import KnowledgeRepository, repository_for
from language.lemmatizer import get_lemmatizer


@functools.lru_cache(maxsize=1)
def get_repository() -> KnowledgeRepository:
    return repository_for(get_settings().knowledge_db_url)


@functools.lru_cache(maxsize=1)
def get_saved_plans() -> SavedPlans:
    return plans_for(get_settings().knowledge_db_url)


@functools.lru_cache(maxsize=1)
def get_classifier() -> GoalClassifier:
    return classifier_from_repository(get_repository(), get_lemmatizer())


@functools.lru_cache(maxsize=1)
def get_drafting() -> Drafting:
    return drafting_from_repository(get_repository())


@functools.lru_cache(maxsize=1)
def get_input_reader() -> PlanInputReader:
    return PlanInputReader(get_drafting(), get_lemmatizer())


@functools.lru_cache(maxsize=1)
def get_horizon_signals() -> frozenset:
    """The ids of the classifier's signals about a time horizon ("w tym kwartale", "over 3 years")."""
    rules = get_repository().document("classifier") or {}
    return frozenset(s.get("id") for s in rules.get("signals") or [] if s.get("dimension") == "horizon")


def clear_caches() -> None:
    """Forget every cached object (tests switch databases)."""
    for getter in (get_repository, get_saved_plans, get_classifier, get_drafting, get_input_reader,
                   get_horizon_signals):
        getter.cache_clear()
