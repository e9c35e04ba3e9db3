"""Loading and reading the knowledge base, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from knowledge import models as m
from knowledge.db import sessions
from knowledge.loader import ContentError
from knowledge.repository import KnowledgeRepository
from knowledge.service import load
from tests.conftest import CONTENT_DIR


def counts(url: str) -> dict:
    with sessions(url)() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in m.KNOWLEDGE_TABLES
            if table.name != "kb_meta"
        }


def test_load_is_idempotent(db_url: str):
    load(CONTENT_DIR, db_url)
    first = counts(db_url)
    load(CONTENT_DIR, db_url)
    assert counts(db_url) == first
    assert first["kb_entry"] == 27 and first["kb_entry_text"] == 54


def test_bad_content_leaves_previous_content_untouched(db_url: str, tmp_path: Path):
    load(CONTENT_DIR, db_url)
    before = counts(db_url)
    broken = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, broken)
    (broken / "answers" / "06_budget.yml").write_text("entries:\n  - id: budget/sales\n    section: [\n")
    with pytest.raises(ContentError):
        load(broken, db_url)
    assert counts(db_url) == before
    answer = KnowledgeRepository(sessions(db_url)).answer("budget", "sales", "pl")
    assert answer is not None and answer.section == "6"


def test_failure_while_writing_rolls_back(db_url: str, monkeypatch):
    """A load that fails after the old rows were deleted and new ones added leaves the old content."""
    load(CONTENT_DIR, db_url)
    before = counts(db_url)

    def refuse(self, *args, **kwargs):  # the last row of the load cannot be written
        raise RuntimeError("disk full")

    monkeypatch.setattr(m.Meta, "__init__", refuse)
    with pytest.raises(RuntimeError):
        load(CONTENT_DIR, db_url)
    monkeypatch.undo()
    assert counts(db_url) == before


def test_load_does_not_touch_saved_plans(db_url: str):
    load(CONTENT_DIR, db_url)
    with sessions(db_url).begin() as session:
        session.add(m.SavedPlan(id="p1", user_id="alice", language="pl",
                                created_at=datetime.now(timezone.utc), body={"goals": []}))
    load(CONTENT_DIR, db_url)
    with sessions(db_url)() as session:
        assert session.execute(select(m.SavedPlan.user_id)).scalars().all() == ["alice"]


def test_repository_reads_answers_facts_and_terms(db_url: str):
    load(CONTENT_DIR, db_url)
    repository = KnowledgeRepository(sessions(db_url))
    budget = repository.answer("budget", "marketing", "pl")
    assert budget.source == {"id": "budget/marketing", "section": "6"}
    assert "budżet" in budget.text.lower()
    comparison = repository.answer("team", "both", "en")
    assert comparison.id == "team/both" and "team" in comparison.text.lower()
    faq = repository.faq("marketing_plan_includes_sales", "en")
    assert faq.section == "faq2" and faq.question.endswith("?")
    assert repository.answer("budget", "nonsense", "pl") is None

    sales = repository.plan_facts("sales", "en")
    assert sales.facts["nature"].value == "tactical"
    assert sales.facts["team"].section == "5"
    marketing = repository.plan_facts("marketing", "pl")
    assert marketing.facts["budget"].value == "larger"
    assert [item.id for item in marketing.lists["goals"]]

    terms = repository.terms()
    assert "budżet" in terms["aspect"]["budget"]["pl"]
    assert set(terms["plan"]) == {"sales", "marketing", "both"}  # both: the two plans named together
    titles = [topic.title for topic in repository.topics("en")]
    assert len(titles) == 11


def test_repository_lists_the_entries_the_content_files_hold(db_url: str):
    from knowledge.loader import read_content

    load(CONTENT_DIR, db_url)
    repository = KnowledgeRepository(sessions(db_url))
    entries = repository.entries()
    files = read_content(CONTENT_DIR).entries
    assert [e["id"] for e in entries] == sorted(e["id"] for e in files)
    by_id = {e["id"]: e for e in entries}
    for entry in files:
        assert by_id[entry["id"]]["text"] == entry["text"]
        assert by_id[entry["id"]]["kind"] == entry["kind"] and by_id[entry["id"]]["aspect"] == entry["aspect"]
        assert by_id[entry["id"]]["question"] == {k: v for k, v in (entry.get("question") or {}).items() if v}
    stamp = repository.loaded_at()
    assert stamp and datetime.fromisoformat(stamp).tzinfo is not None
