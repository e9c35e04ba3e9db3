"""The in-memory fakes (tests/fakes.py) answer as the real repository and plan store do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from knowledge.loader import read_content
from knowledge.plans import InvalidPlanId, plans_for
from knowledge.repository import KnowledgeBaseEmpty, repository_for
from language import LANGUAGES
from tests.fakes import CONTENT_DIR, FakeRepository, FakeSavedPlans


def test_the_fake_repository_reads_what_the_loaded_database_reads(loaded_kb):
    real, fake = repository_for(loaded_kb), FakeRepository(read_content(CONTENT_DIR))
    content = read_content(CONTENT_DIR)
    assert fake.is_loaded() and real.is_loaded()
    assert fake.terms() == real.terms()
    for name in list(content.documents) + ["missing"]:
        assert fake.document(name) == real.document(name)
    for lang in LANGUAGES:
        assert fake.topics(lang) == real.topics(lang)
        for entry in content.entries + [{"id": "budget/nobody"}]:
            assert fake.entry(entry["id"], lang) == real.entry(entry["id"], lang), entry["id"]
        assert fake.faq("difference_sales_marketing", lang) == real.faq("difference_sales_marketing", lang)
        for plan in ("sales", "marketing", "nobody"):
            assert fake.plan_facts(plan, lang) == real.plan_facts(plan, lang)


def test_an_empty_fake_is_not_loaded_and_has_no_terms():
    empty = FakeRepository(None)
    assert not empty.is_loaded() and empty.topics("pl") == [] and empty.answer("budget", "sales", "pl") is None
    with pytest.raises(KnowledgeBaseEmpty):
        empty.terms()


def test_the_fake_plan_store_keeps_plans_as_the_real_one_does(sqlite_url):
    from knowledge.db import upgrade_schema

    upgrade_schema("knowledge", sqlite_url)
    earlier = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for store in (plans_for(sqlite_url), FakeSavedPlans()):
        first = store.save("alice", "pl", {"business": "meble"}, now=earlier)
        second = store.save("alice", "en", {"business": "furniture"}, now=earlier + timedelta(days=1))
        assert store.latest("alice") == second and store.latest("bob") is None
        assert store.get(first.id) == first and store.get("00000000-0000-0000-0000-000000000000") is None
        with pytest.raises(InvalidPlanId):
            store.get("not-an-id")
        assert store.delete_for_user("alice") == 2 and store.latest("alice") is None
