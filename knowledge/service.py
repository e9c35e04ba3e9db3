"""Knowledge-base operations the CLI and the servers share: validate, load; and the one service
the action server talks to (`KnowledgeService`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional

from sqlalchemy.exc import SQLAlchemyError

from knowledge import PLANS
from knowledge.classifier import GoalClassifier, classifier_from_repository
from knowledge.db import sessions, upgrade_schema
from knowledge.drafting import Drafting, build_plan, drafting_from_repository, render_markdown, render_saved, section_titles
from knowledge.loader import Content, load_content, read_content
from knowledge.plan_input import PlanInputReader
from knowledge.plans import StoredPlan, plans_for
from knowledge.repository import AbstractKnowledgeRepository, Answer, KnowledgeBaseEmpty, Topic, repository_for
from language.lemmatizer import get_lemmatizer


def validate(content_dir: Path) -> Content:
    """Read and check the content; raises loader.ContentError with every problem."""
    return read_content(content_dir)


def load(content_dir: Path, db_url: str) -> Content:
    """Validate the content, then replace the knowledge base in one transaction.

    The database is first migrated to the latest schema. Nothing is written unless the whole
    content is valid, and a failure while writing rolls the transaction back, leaving the
    previous content in place.
    """
    content = read_content(content_dir)
    upgrade_schema("knowledge", db_url)
    with sessions(db_url).begin() as session:
        load_content(content, session)
    return content


class KnowledgeUnavailable(Exception):
    """The knowledge base or the saved plans cannot be read now: the database is unreachable or
    failed, or the knowledge base was never loaded (`advisor kb load`)."""


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, KnowledgeBaseEmpty) as error:
        raise KnowledgeUnavailable(str(error)) from error


class KnowledgeService:
    """What the action server asks of the knowledge base and the saved plans, and nothing else.

    Built on a repository and a plan store (knowledge.repository / knowledge.plans, or in-memory
    fakes of both in tests). Every database error, and a knowledge base never loaded, comes out
    as `KnowledgeUnavailable`. The goal classifier, the drafting labels, the input reader and the
    horizon signals are built from the content on first use and kept: after `advisor kb load`,
    restart the process.
    """

    def __init__(self, repository: AbstractKnowledgeRepository, plans: Any, lemmatizer: Optional[Callable[[], Any]] = None) -> None:
        self._repository = repository
        self._plans = plans
        self._lemmatizer = lemmatizer or get_lemmatizer
        self._built: Dict[str, Any] = {}

    # -- answers ----------------------------------------------------------------------------------

    def answer(self, aspect: str, plan: str, language: str) -> Optional[Answer]:
        """The answer about `aspect` for `plan` ("sales", "marketing" or "both"), or None."""
        with _database_errors():
            return self._loaded(self._repository.answer(aspect, plan, language))

    def faq(self, faq_id: str, language: str) -> Optional[Answer]:
        """An FAQ entry by its full (`faq/...`) or short id, or None."""
        with _database_errors():
            return self._loaded(self._repository.faq(faq_id, language))

    def topics(self, language: str) -> List[Topic]:
        """The guide's sections in order, with their titles."""
        with _database_errors():
            topics = self._repository.topics(language)
        if not topics:
            raise KnowledgeUnavailable("the knowledge base has no topics; run `advisor kb load`")
        return topics

    def plan_names(self, language: str) -> Dict[str, str]:
        """The plans' names in `language` ("plan sprzedaży", "marketing plan")."""
        with _database_errors():
            facts = {plan: self._repository.plan_facts(plan, language) for plan in PLANS}
        return {plan: f.name for plan, f in facts.items() if f is not None}

    # -- what is built from the content -----------------------------------------------------------

    def classifier(self) -> GoalClassifier:
        return self._build("classifier", lambda: classifier_from_repository(self._repository, self._lemmatizer()))

    def drafting(self) -> Drafting:
        return self._build("drafting", lambda: drafting_from_repository(self._repository))

    def input_reader(self) -> PlanInputReader:
        return self._build("input_reader", lambda: PlanInputReader(self.drafting(), self._lemmatizer()))

    def horizon_signals(self) -> FrozenSet[str]:
        """The ids of the classifier's signals about a time horizon ("w tym kwartale", "over 3 years")."""
        def signals() -> FrozenSet[str]:
            rules = self._repository.document("classifier") or {}
            return frozenset(s.get("id") for s in rules.get("signals") or [] if s.get("dimension") == "horizon")

        return self._build("horizon_signals", signals)

    # -- plans ------------------------------------------------------------------------------------

    def draft_plan(self, language: str, business: Any, goals: List[Dict[str, Any]], set_aside: List[Dict[str, Any]],
                   horizon: Any, budget: Any) -> Dict[str, Any]:
        """The plan to save (knowledge.drafting.build_plan) with the knowledge base's facts."""
        with _database_errors():
            try:
                return build_plan(self._repository, language, business, goals, set_aside, horizon, budget)
            except LookupError as missing:  # a plan without facts: the content is not loaded
                raise KnowledgeUnavailable(str(missing)) from missing

    def render_draft(self, body: Dict[str, Any], language: str) -> List[str]:
        """An unsaved plan as Markdown blocks."""
        labels = self.drafting().labels(language)
        with _database_errors():
            return render_markdown(body, labels, section_titles(self._repository, language))

    def render_saved(self, stored: StoredPlan) -> List[str]:
        """A saved plan as Markdown blocks, in the plan's language."""
        drafting = self.drafting()
        with _database_errors():
            return render_saved(stored, self._repository, drafting)

    def save_plan(self, user_id: str, language: str, body: Dict[str, Any]) -> StoredPlan:
        """Save the user's plan in one unit of work."""
        with _database_errors():
            return self._plans.save(user_id, language, body)

    def latest_plan(self, user_id: str) -> Optional[StoredPlan]:
        """The user's most recently saved plan, or None."""
        with _database_errors():
            return self._plans.latest(user_id)

    # -- helpers ----------------------------------------------------------------------------------

    def _loaded(self, found: Optional[Answer]) -> Optional[Answer]:
        """`found`; when nothing was found, first make sure the knowledge base is loaded at all."""
        if found is None and not self._repository.is_loaded():
            raise KnowledgeUnavailable("the knowledge base is not loaded; run `advisor kb load`")
        return found

    def _build(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self._built:
            with _database_errors():
                self._built[name] = build()
        return self._built[name]


def service_for(db_url: str) -> KnowledgeService:
    """The service on the knowledge base and saved plans in the database at `db_url`."""
    return KnowledgeService(repository_for(db_url), plans_for(db_url))
