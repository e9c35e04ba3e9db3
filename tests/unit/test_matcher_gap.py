"""The term matcher's bounded-gap option (used by the goal classifier; off by default for the NLU)."""

from __future__ import annotations

import pytest

from language.lemmatizer import get_lemmatizer
from language.matcher import TermMatcher

TERMS = {
    "signal": {
        "launch": {"pl": ["wprowadzić nowy produkt"], "en": ["launch new product"]},
        "share": {"pl": ["udział w rynku"], "en": ["market share"]},
        "customers": {"pl": ["nowy klient"], "en": ["new customer"]},
        "product": {"pl": ["produkt"], "en": ["product"]},
    }
}


@pytest.fixture(scope="module")
def lemmatizer():
    return get_lemmatizer()


def found(matcher, text, lang):
    return [(m.target, m.text) for m in matcher.find(text, lang)]


def test_default_matches_only_consecutive_words(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer)
    assert found(matcher, "Wprowadzimy dwa nowe, ekologiczne produkty", "pl") == [("product", "produkty")]
    assert found(matcher, "wprowadzić nowe produkty", "pl") == [("launch", "wprowadzić nowe produkty")]


def test_a_gap_of_one_word_between_each_pair_of_term_words(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer, max_gap=1)
    assert found(matcher, "Wprowadzimy dwa nowe, ekologiczne produkty", "pl") == [
        ("launch", "Wprowadzimy dwa nowe, ekologiczne produkty")]
    assert found(matcher, "zwiększyć udział firmy w rynku", "pl") == [("share", "udział firmy w rynku")]
    # Two words in a gap are too many for max_gap=1, enough for max_gap=2.
    assert found(matcher, "zwiększyć udział naszej firmy w rynku", "pl") == []
    wider = TermMatcher(TERMS, lemmatizer, max_gap=2)
    assert found(wider, "zwiększyć udział naszej firmy w rynku", "pl") == [("share", "udział naszej firmy w rynku")]


def test_longer_phrases_with_a_gap_win_over_single_words(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer, max_gap=1)
    # "produkty" alone is a term too, but the whole phrase with gaps wins (longest first).
    assert found(matcher, "Wprowadzimy dwa nowe, ekologiczne produkty", "pl")[0][0] == "launch"


def test_consecutive_matches_come_first_and_gap_words_stay_free(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer, max_gap=1)
    # The consecutive "nowi klienci" is taken first; the earlier "nowy" finds no free "klient".
    assert found(matcher, "nowy sklep, nowi klienci", "pl") == [("customers", "nowi klienci")]
    # A word that is a term of its own does not stand in a gap: it keeps its own meaning.
    assert found(matcher, "new product customers", "en") == [("product", "product")]
    assert found(matcher, "new loyal customers", "en") == [("customers", "new loyal customers")]


def test_a_gap_never_crosses_the_end_of_a_sentence(lemmatizer):
    matcher = TermMatcher(TERMS, lemmatizer, max_gap=1)
    assert found(matcher, "Nowe biuro. Klienci czekają", "pl") == []
    assert found(matcher, "Nowe biuro, klienci czekają", "pl") == [("customers", "Nowe biuro, klienci")]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_max_gap_must_be_a_whole_number(lemmatizer, bad):
    with pytest.raises(ValueError, match="max_gap"):
        TermMatcher(TERMS, lemmatizer, max_gap=bad)
