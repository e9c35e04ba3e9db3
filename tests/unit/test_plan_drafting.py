"""Drafting a plan from the knowledge base, its Markdown export, the drafting content file, and
reading goal references and budgets."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from knowledge.db import sessions
from knowledge.drafting import (
    Drafting, build_plan, chat_text, markdown_document, render_markdown, section_titles, validate_drafting,
)
from knowledge.loader import ContentError, read_content
from knowledge.plan_input import PlanInputReader, clean, has_words
from knowledge.repository import KnowledgeRepository
from knowledge.service import load
from language.lemmatizer import get_lemmatizer
from tests.plan_support import CONTENT_DIR, goal

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PLAN_ID = "3f2b6c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> KnowledgeRepository:
    url = f"sqlite:///{tmp_path_factory.mktemp('drafting') / 'kb.db'}"
    load(CONTENT_DIR, url)
    return KnowledgeRepository(sessions(url))


@pytest.fixture(scope="module")
def drafting(repository) -> Drafting:
    return Drafting(repository.document("drafting"))


@pytest.fixture(scope="module")
def reader(drafting) -> PlanInputReader:
    return PlanInputReader(drafting, get_lemmatizer())


def draft(repository, drafting, lang, goals, aside=(), horizon=None, budget=None):
    body = build_plan(repository, lang, "meble biurowe", list(goals), list(aside), horizon, budget)
    return body, markdown_document(render_markdown(body, drafting.labels(lang), section_titles(repository, lang),
                                                   PLAN_ID, CREATED))


# ---- the plan and its Markdown ------------------------------------------------------------


def test_polish_plan_has_every_part_with_the_guide_sections(repository, drafting):
    goals = [goal("więcej zamówień w grudniu", "sales"), goal("silniejsza marka", "marketing"),
             goal("sprzedaż i marka", "both")]
    body, md = draft(repository, drafting, "pl", goals, [{"text": "ROI 20%", "reasons": []}],
                     {"text": "3 lata", "term": "long_term", "not_sure": False},
                     {"text": "50 tys. zł", "amount": 50000.0, "currency": "PLN", "not_sure": False})
    assert [p["id"] for p in body["plans"]] == ["sales", "marketing"]
    assert body["plans"][0]["goals"] == [1, 3] and body["plans"][1]["goals"] == [2, 3]
    assert body["plans"][0]["facts"]["team"]["section"] == "5"
    assert body["combining"]["id"] == "combining/both"
    assert body["sales_component"]["id"] == "faq/marketing_plan_includes_sales"
    assert body["sales_component"]["items"] == ["cele dotyczące wielkości sprzedaży", "cele przychodowe",
                                                "strategie osiągnięcia tych celów"]
    assert md.startswith(f"# Plan: meble biurowe\n\nUtworzono 2026-03-01 · nr planu `{PLAN_ID}`\n\n"
                         "**Horyzont:** 3 lata · **Budżet:** 50 tys. zł\n")
    for part in ("## Plan sprzedaży", "## Plan marketingowy", "**Cele**", "- **Horyzont:** cele krótkoterminowe",
                 "_(przewodnik: Cele planów)_", "**Narzędzia i taktyki:** broszury, ulotki, kampanie reklamowe",
                 "**Odpowiedzialny zespół:** zespół marketingu", "**Budżet:** zwykle większy budżet",
                 "**Ocena efektów:**", "## Jak plany działają razem", "## Sprzedaż w planie marketingowym",
                 "- cele przychodowe", "## Cele odłożone na bok", "- **ROI 20%**", "_(cel obu planów)_",
                 "Twój horyzont (3 lata) jest dłuższy, niż zakłada plan sprzedaży"):
        assert part in md, part


def test_english_plan_with_only_marketing_goals(repository, drafting):
    body, md = draft(repository, drafting, "en", [goal("brand awareness", "marketing")],
                     budget={"text": "not sure", "not_sure": True})
    assert [p["id"] for p in body["plans"]] == ["marketing"]
    assert "## Sales plan" not in md and "## Marketing plan" in md
    assert "**Budget:** not decided yet" in md and "**Horizon:** not given" in md
    assert "## How the plans work together" in md and "## Sales in the marketing plan" in md
    assert "_(guide: Plan tools)_" in md


def test_chat_blocks_have_no_blank_lines():
    assert chat_text("# A\n\nb\n  \nc") == "# A\nb\nc"


def test_labels_are_content_not_code(tmp_path: Path, repository):
    """Editing drafting.yml changes the Markdown without a code change."""
    content = tmp_path / "knowledge" / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "drafting.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("goals: {pl: Cele,", "goals: {pl: Nasze cele,"),
                    encoding="utf-8")
    edited = Drafting(read_content(content).documents["drafting"])
    body = build_plan(repository, "pl", "x", [goal("a", "sales")], [], None, None)
    md = markdown_document(render_markdown(body, edited.labels("pl"), {}))
    assert "**Nasze cele**" in md


def test_a_label_with_an_unknown_placeholder_is_reported_with_its_line(tmp_path: Path):
    content = tmp_path / "knowledge" / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "drafting.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('"Plan: {business}"', '"Plan: {firma}"', 1),
                    encoding="utf-8")
    with pytest.raises(ContentError) as error:
        read_content(content)
    [problem] = error.value.problems
    assert problem.file.endswith("drafting.yml") and problem.line and "{firma}" in problem.reason


def test_missing_labels_are_reported():
    problems = validate_drafting({"labels": {}, "goal_references": {}, "budget": {}, "periods": {}})
    assert any(p.entry == "labels.title" for p in problems)
    assert any(p.entry == "budget.currencies" for p in problems)


# ---- reading what the user types ----------------------------------------------------------


@pytest.mark.parametrize("text, lang, number", [
    ("usuń cel 2", "pl", 2), ("usun drugi cel", "pl", 2), ("wyrzuć ostatni cel", "pl", -1),
    ("w miejsce drugiego celu daj budowę lojalności", "pl", 2), ("skreśl cel numer pięć", "pl", 5),
    ("remove the third goal", "en", 3), ("please delete goal one", "en", 1), ("remove goal #3", "en", 3),
    ("replace goal 2 with increase sales by 10%", "en", 2),
])
def test_goal_references(reader, text, lang, number):
    assert reader.goal_reference(text, lang).number == number


@pytest.mark.parametrize("text, lang", [("remove the brand goal", "en"), ("usuń cel o marce", "pl"),
                                        ("increase sales by 10%", "en")])
def test_no_goal_number(reader, text, lang):
    assert reader.goal_reference(text, lang) is None


@pytest.mark.parametrize("text, lang, new", [
    ("zamień cel 1 na zwiększenie sprzedaży o 10%", "pl", "zwiększenie sprzedaży o 10%"),
    ("zmień drugi cel na budowę marki", "pl", "budowę marki"),
    ("cel 2 powinien brzmieć: 50 nowych klientów", "pl", "50 nowych klientów"),
    ("zastąp ostatni cel tym: udział w rynku 12% za 3 lata", "pl", "udział w rynku 12% za 3 lata"),
    ("change the first goal to build brand awareness", "en", "build brand awareness"),
    ("correction: goal 3 is more orders in Q4", "en", "more orders in Q4"),
    ("edit goal 2", "en", None),
])
def test_replacement_text(reader, text, lang, new):
    reference = reader.goal_reference(text, lang)
    assert reader.replacement(text, lang, reference.end)[0] == new


def test_goal_by_its_words(reader):
    goals = ["zwiększyć sprzedaż o 15%", "budowa rozpoznawalności marki w 3 lata", "lojalność klientów"]
    assert reader.goal_by_content("usuń cel o marce", "pl", goals) == 2
    assert reader.goal_by_content("usuń cel dotyczący lojalności", "pl", goals) == 3
    assert reader.goal_by_content("usuń cel", "pl", goals) is None


@pytest.mark.parametrize("text, status, amount, currency", [
    ("50 tys. zł", "amount", 50000, "PLN"), ("50 000 zł", "amount", 50000, "PLN"),
    ("około 20 tysięcy złotych", "amount", 20000, "PLN"), ("1,5 mln zł", "amount", 1500000, "PLN"),
    ("$20,000", "amount", 20000, "USD"), ("about 50k dollars", "amount", 50000, "USD"),
    ("1.250,50 €", "amount", 1250.5, "EUR"), ("10-20 tys.", "amount", 10000, None),
    ("-5", "negative", None, None), ("−5 zł", "negative", None, None), ("0", "zero", None, None),
    ("dużo", "no_amount", None, None), ("1e9", "unreadable", None, None), ("3 lata", "no_amount", None, None),
    ("99999999999999", "too_large", None, None),
])
def test_budgets(reader, text, status, amount, currency):
    reading = reader.budget(text, "en" if "dollar" in text else "pl")
    assert (reading.status, reading.amount, reading.currency) == (status, amount, currency)


def test_text_checks():
    assert clean("  a \n b ") == "a b"
    assert not has_words("🚀 !!! 🍕") and has_words("Q3") and has_words("ROI")


def test_markup_and_control_characters_are_not_kept():
    assert clean("<img src=x onerror=alert(1)>") == ""
    assert clean("<script>alert('x')</script> więcej sprzedaży") == "alert('x') więcej sprzedaży"
    assert clean("churn <5% and >3 deals\u0000") == "churn <5% and >3 deals"
