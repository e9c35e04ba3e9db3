"""language/spacy_data.py's copies of spaCy's data equal what the installed spaCy gives."""

from __future__ import annotations

import json

import pytest

from language import LANGUAGES
from language.spacy_data import DATA_FILE, english_lemma_lookup, stop_words, tokenizer_rules
from language.spacy_support import exported_data, import_spacy


@pytest.fixture(scope="module")
def exported():
    return exported_data()


def test_the_data_file_is_the_installed_spacys_export(exported):
    """If this fails after an upgrade, run `python -m language.spacy_support` and retrain."""
    assert json.loads(DATA_FILE.read_text(encoding="utf-8")) == json.loads(json.dumps(exported))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_stop_words_are_spacys(lang):
    spacy_stop_words = import_spacy().blank(lang).Defaults.stop_words
    assert stop_words(lang) == frozenset(spacy_stop_words) and len(spacy_stop_words) > 100


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tokenizer_rules_are_spacys(lang):
    tokenizer = import_spacy().blank(lang).tokenizer
    rules = tokenizer_rules(lang)
    assert rules["prefix"][0] == tokenizer.prefix_search.__self__.pattern
    assert rules["infix"][0] == tokenizer.infix_finditer.__self__.pattern
    assert set(rules["special_cases"]) == set(tokenizer.rules)


def test_the_english_lemma_table_is_spacys():
    import_spacy()
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    ours = english_lemma_lookup()
    assert len(ours) == len(table) > 10_000
    assert all(table.get(word) == lemma for word, lemma in ours.items())
    assert set(ours.values()) == set(table.values())
    assert ours["carried"] == "carry"
