"""The lemmatiser keeps the tokens of its last few texts (language/lemmatizer.py, RECENT_ANALYSES),
so the NLU pipeline's tokenizer and term matcher, and the goal classifier's two readings of a
goal, analyse a text once. What the kept tokens give must equal a fresh analysis exactly: checked
on every line of the project's real texts (tests/unit/test_tokenizer.py's SENTENCES: the
training data, the benchmark data with the real questions and goals, the knowledge base's
content), in both languages, for tokens, term matches and the goal classifier's verdicts.
"""

from __future__ import annotations

from typing import List, Tuple

import pytest
import yaml

from bench import real_corpus
from knowledge.classifier import GoalClassifier
from knowledge.loader import read_content
from knowledge.repository import repository_for
from language import LANGUAGES
from language.detect import detect_language
from language.lemmatizer import MAX_ANALYSED_CHARS, RECENT_ANALYSES, Lemmatizer, Token
from language.matcher import TermMatcher
from tests.support import PROJECT_DIR
from tests.unit.test_tokenizer import SENTENCES

TEXTS = list(dict.fromkeys(text for _, text in SENTENCES))
# What users write: the training data's lines and the real questions and goals.
MESSAGES = list(dict.fromkeys(text for where, text in SENTENCES if where.startswith(("data/nlu/", "bench/data/real/"))))


class CountingLemmatizer(Lemmatizer):
    """Counts the texts it really analyses."""

    def __init__(self, *args, **kwargs) -> None:
        self.analysed: List[Tuple[str, str]] = []
        super().__init__(*args, **kwargs)

    def _analyse(self, text: str, lang: str) -> Tuple[Token, ...]:
        self.analysed.append((text, lang))
        return super()._analyse(text, lang)


@pytest.fixture(scope="module")
def kept():
    return Lemmatizer()


@pytest.fixture(scope="module")
def fresh():
    """Analyses every text anew, as before the recent analyses were kept."""
    return Lemmatizer(recent_analyses=0)


def _goals() -> List[Tuple[str, str]]:
    """(text, lang) of every goal statement of the benchmark data, the real ones included."""
    goals = [(str(goal["text"]), goal["lang"])
             for goal in yaml.safe_load((PROJECT_DIR / "bench/data/goals.yml").read_text(encoding="utf-8"))["goals"]]
    for lang in real_corpus.LANGUAGES:
        goals += [(item.text, lang) for item in real_corpus.load("goals", lang)]
    return goals


def test_the_real_texts_are_read():
    assert len(TEXTS) > 2000 and len(MESSAGES) > 1500
    assert len(_goals()) > 300


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tokens_equal_a_fresh_analysis_on_every_real_line(kept, fresh, lang):
    differing = []
    for text in TEXTS:
        expected = fresh.tokens(text, lang)
        first, again = kept.tokens(text, lang), kept.tokens(text, lang)  # analysed, then kept
        if not (first == again == expected and [t.forms for t in again] == [t.forms for t in expected]):
            differing.append(text)
    assert not differing, f"{len(differing)} of {len(TEXTS)} differ"


def test_term_matches_equal_a_fresh_analysis_on_every_real_line(loaded_kb, kept, fresh):
    """With the knowledge base's terms, as the NLU pipeline matches them: on what users write, in
    the language it is written in (the goal classifier's matching, with gaps, in both languages,
    is checked through its verdicts below)."""
    terms = repository_for(loaded_kb).terms()
    kept_matcher, fresh_matcher = TermMatcher(terms, kept), TermMatcher(terms, fresh)
    differing = []
    for text in MESSAGES:
        lang = detect_language(text, kept) or LANGUAGES[0]
        kept.tokens(text, lang)  # as the tokenizer does before the term extractor
        if kept_matcher.find(text, lang) != fresh_matcher.find(text, lang):
            differing.append(text)
    assert not differing, f"{len(differing)} of {len(MESSAGES)} differ"


def test_goal_classifier_verdicts_equal_a_fresh_analysis_on_every_goal(kept, fresh):
    rules = read_content(PROJECT_DIR / "knowledge" / "content").documents["classifier"]
    with_kept, with_fresh = GoalClassifier(rules, kept), GoalClassifier(rules, fresh)
    differing = [(lang, text) for text, lang in _goals()
                 if with_kept.classify(text, lang).to_json() != with_fresh.classify(text, lang).to_json()]
    assert not differing, f"{len(differing)} differ"


def test_a_text_analysed_again_soon_is_not_analysed_twice():
    lemmatizer = CountingLemmatizer()
    text = "Ile kosztuje plan sprzedaży?"
    assert lemmatizer.tokens(text, "pl") == lemmatizer.tokens(text, "pl")
    assert lemmatizer.lemmas(text, "pl") and lemmatizer.forms(text, "pl")
    assert lemmatizer.analysed == [(text, "pl")]
    lemmatizer.tokens(text, "en")  # another language is another analysis
    assert lemmatizer.analysed == [(text, "pl"), (text, "en")]


def test_only_the_last_few_analyses_are_kept():
    lemmatizer = CountingLemmatizer()
    texts = [f"plan numer {i}" for i in range(RECENT_ANALYSES + 1)]
    for text in texts:
        lemmatizer.tokens(text, "pl")
    lemmatizer.tokens(texts[-1], "pl")  # recent: kept
    assert len(lemmatizer.analysed) == RECENT_ANALYSES + 1
    lemmatizer.tokens(texts[0], "pl")  # the oldest was let go
    assert len(lemmatizer.analysed) == RECENT_ANALYSES + 2


def test_what_is_kept_is_at_most_the_analysed_part_of_a_text():
    lemmatizer = CountingLemmatizer()
    head = "budżet " * (MAX_ANALYSED_CHARS // 7 + 1)
    first = lemmatizer.tokens(head + "sprzedaż", "pl")
    assert lemmatizer.tokens(head + "marketing", "pl") == first  # the same analysed part
    assert [len(text) for text, _ in lemmatizer.analysed] == [MAX_ANALYSED_CHARS]


def test_a_caller_changing_its_list_does_not_change_the_next():
    lemmatizer = Lemmatizer()
    tokens = lemmatizer.tokens("plan marketingowy", "pl")
    tokens.clear()
    assert [t.lemma for t in lemmatizer.tokens("plan marketingowy", "pl")] == ["plan", "marketingowy"]


class CountingWordsLemmatizer(Lemmatizer):
    """Counts the Polish words it really analyses."""

    def __init__(self, *args, **kwargs) -> None:
        self.words: List[Tuple[str, bool]] = []
        super().__init__(*args, **kwargs)

    def _polish_word(self, word: str, restore: bool = True):
        self.words.append((word, restore))
        return super()._polish_word(word, restore)


def test_a_polish_word_is_analysed_once_however_it_is_asked_for():
    """Language detection asks for a word without `restore`, the tokens with it: one analysis
    and one cache entry (functools' cache would key `f(w)` and `f(w, True)` apart)."""
    lemmatizer = CountingWordsLemmatizer()
    text = "Ile kosztuje wdrozenie planu sprzedazy w malej firmie?"
    assert detect_language(text, lemmatizer) == "pl"
    lemmatizer.tokens(text, "pl")
    assert lemmatizer.polish_word("planu") == lemmatizer.polish_word("planu", True)
    assert len(lemmatizer.words) == len(set(lemmatizer.words))  # nothing analysed twice
    assert ("planu", True) in lemmatizer.words
    assert lemmatizer.polish_word("sprzedazy").lemmas == ("sprzedaz",)  # restored: sprzedaży
