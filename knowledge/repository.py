"""The only way the rest of the project reads the knowledge base.

Every method runs one short unit of work on the sessionmaker it was given; no session
outlives a call. Callers get plain frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import abc
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from knowledge import models as m


class KnowledgeBaseEmpty(LookupError):
    """The knowledge base has not been loaded (run `advisor kb load`)."""


@dataclass(frozen=True)
class Answer:
    id: str
    section: str
    text: str
    language: str
    question: Optional[str] = None

    @property
    def source(self) -> Dict[str, str]:
        """The `source` object of the custom JSON sent with every answer."""
        return {"id": self.id, "section": self.section}


@dataclass(frozen=True)
class Fact:
    value: str
    section: str
    text: str


@dataclass(frozen=True)
class Item:
    id: str
    label: str


@dataclass(frozen=True)
class PlanFacts:
    plan: str
    language: str
    name: str
    facts: Dict[str, Fact]
    lists: Dict[str, Tuple[Item, ...]]
    list_sections: Dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Topic:
    section: str
    aspect: str
    title: str


class AbstractKnowledgeRepository(abc.ABC):
    """What the knowledge base answers; `KnowledgeRepository` reads the database, tests/fakes.py memory."""

    def answer(self, aspect: str, plan: str, language: str) -> Optional[Answer]:
        """The answer about `aspect` for `plan` ("sales", "marketing" or "both")."""
        return self.entry(f"{aspect}/{plan}", language)

    def faq(self, faq_id: str, language: str) -> Optional[Answer]:
        """An FAQ entry, by its full id (`faq/...`) or its short id."""
        return self.entry(faq_id if faq_id.startswith("faq/") else f"faq/{faq_id}", language)

    @abc.abstractmethod
    def entry(self, entry_id: str, language: str) -> Optional[Answer]:
        """An answer or FAQ entry by its id, or None."""

    @abc.abstractmethod
    def plan_facts(self, plan: str, language: str) -> Optional[PlanFacts]:
        """The structured facts of a plan, or None."""

    @abc.abstractmethod
    def terms(self) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
        """kind -> target -> language -> phrases; raises KnowledgeBaseEmpty when there are none."""

    @abc.abstractmethod
    def topics(self, language: str) -> List[Topic]:
        """The guide's sections in order, with their titles."""

    @abc.abstractmethod
    def is_loaded(self) -> bool:
        """Whether `advisor kb load` has filled this knowledge base."""

    @abc.abstractmethod
    def document(self, name: str) -> Optional[Any]:
        """A content document ("classifier", "drafting") by name, or None."""


class KnowledgeRepository(AbstractKnowledgeRepository):
    def __init__(self, session_factory: "sessionmaker[Session]") -> None:
        self._sessions = session_factory

    def entry(self, entry_id: str, language: str) -> Optional[Answer]:
        stmt = (
            select(m.Entry.id, m.Entry.section_id, m.EntryText.text, m.EntryText.question)
            .join(m.EntryText, m.EntryText.entry_id == m.Entry.id)
            .where(m.Entry.id == entry_id, m.EntryText.lang == language)
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        if row is None:
            return None
        return Answer(id=row.id, section=row.section_id, text=row.text, language=language, question=row.question)

    def plan_facts(self, plan: str, language: str) -> Optional[PlanFacts]:
        """The structured facts of a plan: horizon, nature, team, budget, goals, tools, ..."""
        with self._sessions() as session:
            name = session.execute(
                select(m.PlanName.name).where(m.PlanName.plan_id == plan, m.PlanName.lang == language)
            ).scalar_one_or_none()
            if name is None:
                return None
            facts = session.execute(
                select(m.PlanFact).where(m.PlanFact.plan_id == plan, m.PlanFact.lang == language)
            ).scalars().all()
            items = session.execute(
                select(m.PlanItem)
                .where(m.PlanItem.plan_id == plan, m.PlanItem.lang == language)
                .order_by(m.PlanItem.list_name, m.PlanItem.position)
            ).scalars().all()
        lists: Dict[str, List[Item]] = defaultdict(list)
        sections: Dict[str, str] = {}
        for item in items:
            lists[item.list_name].append(Item(item.item_id, item.label))
            sections[item.list_name] = item.section_id
        return PlanFacts(
            plan=plan,
            language=language,
            name=name,
            facts={f.key: Fact(f.value, f.section_id, f.text) for f in facts},
            lists={k: tuple(v) for k, v in lists.items()},
            list_sections=sections,
        )

    def terms(self) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
        """kind ("aspect", "plan", "language") -> target -> language -> phrases."""
        with self._sessions() as session:
            rows = session.execute(select(m.Term).order_by(m.Term.id)).scalars().all()
        if not rows:
            raise KnowledgeBaseEmpty("the knowledge base has no terms; run `advisor kb load`")
        result: Dict[str, Dict[str, Dict[str, List[str]]]] = {}
        for row in rows:
            result.setdefault(row.kind, {}).setdefault(row.target, {}).setdefault(row.lang, []).append(row.phrase)
        return result

    def entries(self) -> List[Dict[str, Any]]:
        """Every answer and FAQ entry with its texts (and FAQ questions) by language, in id order:
        {"id", "kind", "aspect", "plan", "text": {lang: text}, "question": {lang: question}}."""
        stmt = (
            select(m.Entry.id, m.Entry.kind, m.Entry.aspect, m.Entry.plan, m.EntryText.lang, m.EntryText.text,
                   m.EntryText.question)
            .join(m.EntryText, m.EntryText.entry_id == m.Entry.id)
            .order_by(m.Entry.id, m.EntryText.lang)
        )
        entries: Dict[str, Dict[str, Any]] = {}
        with self._sessions() as session:
            for row in session.execute(stmt):
                entry = entries.setdefault(row.id, {"id": row.id, "kind": row.kind, "aspect": row.aspect,
                                                    "plan": row.plan, "text": {}, "question": {}})
                entry["text"][row.lang] = row.text
                if row.question:
                    entry["question"][row.lang] = row.question
        if not entries:
            raise KnowledgeBaseEmpty("the knowledge base has no entries; run `advisor kb load`")
        return list(entries.values())

    def topics(self, language: str) -> List[Topic]:
        """The guide's sections in order, with their titles (for "did you mean" choices)."""
        stmt = (
            select(m.Section.id, m.Section.aspect, m.SectionTitle.title)
            .join(m.SectionTitle, m.SectionTitle.section_id == m.Section.id)
            .where(m.SectionTitle.lang == language)
            .order_by(m.Section.position)
        )
        with self._sessions() as session:
            return [Topic(r.id, r.aspect, r.title) for r in session.execute(stmt)]

    def is_loaded(self) -> bool:
        return self.loaded_at() is not None

    def loaded_at(self) -> Optional[str]:
        """When the knowledge base was last loaded (ISO time), or None."""
        with self._sessions() as session:
            meta = session.get(m.Meta, "loaded_at")
            return meta.value if meta is not None else None

    def document(self, name: str) -> Optional[Any]:
        with self._sessions() as session:
            return session.execute(select(m.Document.body).where(m.Document.name == name)).scalar_one_or_none()


def repository_for(url: str) -> KnowledgeRepository:
    """A repository on the process's sessionmaker for the database at `url`."""
    from knowledge.db import sessions

    return KnowledgeRepository(sessions(url))
