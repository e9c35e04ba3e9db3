"""In-memory fakes of the knowledge base and the saved plans, for unit tests of the actions.

`fake_service()` is the real `knowledge.service.KnowledgeService` on a `FakeRepository` (the
content files as `knowledge.loader.read_content` validates them, no database) and `FakeSavedPlans`
(a dict): the repository/fake pattern of "Architecture Patterns with Python". Integration tests
keep the real databases; tests/unit/test_fakes.py holds the fakes to what the real ones return.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from knowledge.loader import Content, read_content
from knowledge.plans import InvalidPlanId, StoredPlan, is_plan_id
from knowledge.repository import AbstractKnowledgeRepository, Answer, Fact, Item, KnowledgeBaseEmpty, PlanFacts, Topic
from knowledge.service import KnowledgeService

CONTENT_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "content"


class FakeRepository(AbstractKnowledgeRepository):
    """The knowledge repository over validated content in memory."""

    def __init__(self, content: Optional[Content]) -> None:
        self._content = content or Content()

    def entry(self, entry_id: str, language: str) -> Optional[Answer]:
        for entry in self._content.entries:
            if entry["id"] == entry_id and language in entry["text"]:
                return Answer(id=entry["id"], section=entry["section"], text=entry["text"][language], language=language,
                              question=(entry.get("question") or {}).get(language))
        return None

    def plan_facts(self, plan: str, language: str) -> Optional[PlanFacts]:
        found = next((p for p in self._content.plans if p["id"] == plan and language in p["name"]), None)
        if found is None:
            return None
        lists: Dict[str, tuple] = {}
        sections: Dict[str, str] = {}
        for name in sorted(found["lists"]):
            spec = found["lists"][name]
            lists[name] = tuple(Item(item["id"], item[language]) for item in spec["items"])
            sections[name] = spec["section"]
        return PlanFacts(
            plan=plan, language=language, name=found["name"][language],
            facts={key: Fact(fact["value"], fact["section"], fact[language]) for key, fact in found["facts"].items()},
            lists=lists, list_sections=sections,
        )

    def terms(self) -> Dict[str, Dict[str, Dict[str, List[str]]]]:
        if not self._content.terms:
            raise KnowledgeBaseEmpty("the knowledge base has no terms; run `advisor kb load`")
        return {kind: {target: {lang: list(dict.fromkeys(phrases)) for lang, phrases in by_lang.items()}
                       for target, by_lang in targets.items()}
                for kind, targets in self._content.terms.items()}

    def topics(self, language: str) -> List[Topic]:
        sections = sorted(self._content.sections, key=lambda s: s["position"])
        return [Topic(s["id"], s["aspect"], s["title"][language]) for s in sections if language in s["title"]]

    def is_loaded(self) -> bool:
        return bool(self._content.sections)

    def document(self, name: str) -> Optional[Any]:
        return self._content.documents.get(name)


class FakeSavedPlans:
    """`knowledge.plans.SavedPlans` in a dict: what `save` returns, `latest` and `get` find."""

    def __init__(self) -> None:
        self._by_user: Dict[str, List[StoredPlan]] = defaultdict(list)

    def save(self, user_id: str, language: str, body: Dict[str, Any], now: Optional[datetime] = None) -> StoredPlan:
        stored = StoredPlan(id=str(uuid.uuid4()), user_id=user_id, language=language,
                            created_at=now or datetime.now(timezone.utc), body=body)
        self._by_user[user_id].append(stored)
        return stored

    def latest(self, user_id: str) -> Optional[StoredPlan]:
        plans = self._by_user.get(user_id)
        return max(plans, key=lambda p: (p.created_at, p.id)) if plans else None

    def get(self, plan_id: str) -> Optional[StoredPlan]:
        if not is_plan_id(plan_id):
            raise InvalidPlanId(plan_id)
        return next((p for plans in self._by_user.values() for p in plans if p.id == plan_id), None)

    def delete_for_user(self, user_id: str) -> int:
        return len(self._by_user.pop(user_id, []))


@functools.lru_cache(maxsize=None)
def _content(content_dir: Path) -> Content:
    return read_content(content_dir)


def fake_service(content_dir: Optional[Path] = CONTENT_DIR) -> KnowledgeService:
    """The knowledge service over the content files in memory (None: an empty knowledge base)."""
    content = _content(content_dir) if content_dir is not None else None
    return KnowledgeService(FakeRepository(content), FakeSavedPlans())


@functools.lru_cache(maxsize=1)
def shared_fake_service() -> KnowledgeService:
    """One fake for a test session: the classifier and the input reader are built once."""
    return fake_service()
