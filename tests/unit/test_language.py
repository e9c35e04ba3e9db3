"""Lemmas, language detection and term matching."""

from __future__ import annotations

import pytest

from language.detect import detect_language
from language.lemmatizer import get_lemmatizer
from language.matcher import TermMatcher


@pytest.fixture(scope="module")
def lemmatizer():
    return get_lemmatizer()


@pytest.mark.parametrize("words", [
    ["budżet", "budżetu", "budżetem", "budzetu", "Budżetowi"],
    ["sprzedaż", "sprzedaży", "sprzedazy", "sprzedażą"],
    ["sprzedażowy", "sprzedażowe", "sprzedazowego", "sprzedażowym"],
    ["plan", "plany", "planu", "planem", "planie"],
])
def test_polish_forms_share_a_lemma(lemmatizer, words):
    lemmas = {lemmatizer.lemmas(word, "pl")[0] for word in words}
    assert len(lemmas) == 1, lemmas


def test_english_forms_share_a_lemma(lemmatizer):
    assert lemmatizer.lemmas("budgets carried teams", "en") == lemmatizer.lemmas("budget carry team", "en")


def test_very_long_input_is_bounded(lemmatizer):
    tokens = lemmatizer.tokens("zzzzzzzzzz " * 5000, "pl")
    assert 0 < len(tokens) <= 2000


@pytest.mark.parametrize("text, expected", [
    ("Czym różni się plan sprzedaży od planu marketingowego?", "pl"),
    ("jaki budzet ma plan marketingowy", "pl"),
    ("a dla marketingu?", "pl"),
    ("dzieki", "pl"),
    ("czesc", "pl"),
    ("po polsku prosze", "pl"),
    ("Who carries out the sales plan?", "en"),
    ("and for marketing?", "en"),
    ("thanks", "en"),
    ("What's the weather?", "en"),
    ("in English please", "en"),
    ("12345", None),
    ("😀😀", None),
    ("", None),
    ("50k EUR", None),  # an amount with a currency code: the conversation keeps its language
    ("20 000 USD", None),
    ("50 tys. zł", "pl"),
    ("obniżyć CAC o 10%", "pl"),
    ("reduce our CAC this quarter", "en"),
    ("ok", None),  # said in both languages: it keeps the conversation's language
    ("ok thanks", "en"),
    ("ok, dzięki", "pl"),
])
def test_detect_language(lemmatizer, text, expected):
    assert detect_language(text, lemmatizer) == expected


TERMS = {
    "aspect": {
        "budget": {"pl": ["budżet", "kosztować"], "en": ["budget", "how much"]},
        "tools": {"pl": ["narzędzie", "badanie rynku"], "en": ["tool", "market research"]},
    },
    "plan": {"sales": {"pl": ["sprzedaż", "sprzedażowy"], "en": ["sales"]}},
}


def test_matcher_finds_inflected_and_undiacritised_terms(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer)
    found = [(m.kind, m.target, m.text) for m in matcher.find("ile budzetu potrzebuje plan sprzedazowy", "pl")]
    assert found == [("aspect", "budget", "budzetu"), ("plan", "sales", "sprzedazowy")]


def test_matcher_prefers_the_longest_phrase_and_mixed_language(lemmatizer):
    matcher = TermMatcher({"aspect": {"tools": TERMS["aspect"]["tools"],
                                      "goals": {"pl": ["badanie"], "en": ["study"]}}}, lemmatizer)
    found = matcher.find("Czy badania rynku to narzędzia marketingu?", "pl")
    assert [(m.target, m.text) for m in found] == [("tools", "badania rynku"), ("tools", "narzędzia")]
    assert matcher.targets("which tool for the budget", "en", "aspect") == ["tools"]


@pytest.mark.parametrize("text, lang, target", [
    ("co to plan marketignowy", "pl", "marketing"),
    ("markting plan budget", "en", "marketing"),
    ("budzet planu sprzedazowgo", "pl", "sales"),
])
def test_matcher_tolerates_typos_in_unknown_words(lemmatizer, text, lang, target):
    matcher = TermMatcher({"plan": {"sales": {"pl": ["sprzedażowy"], "en": ["sales"]},
                                    "marketing": {"pl": ["marketingowy"], "en": ["marketing"]}}}, lemmatizer)
    assert matcher.targets(text, lang, "plan") == [target]


def test_matcher_does_not_correct_known_words(lemmatizer):
    matcher = TermMatcher({"aspect": {"tools": {"pl": ["narzędzie"], "en": ["tool"]}}}, lemmatizer)
    assert matcher.targets("the pools and stools", "en", "aspect") == []
