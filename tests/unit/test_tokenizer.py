"""language/tokenizer.py gives spaCy's word tokens (text, start, end) without importing spaCy.

Compared with `spacy.blank(lang).tokenizer` of the installed spaCy (whose punctuation and space
tokens language/lemmatizer.py drops) on every line of the training data, the benchmark data
(the real questions included) and the knowledge base's content, each in both languages, on
every special case in context, and on generated text.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from language import LANGUAGES
from language.spacy_data import tokenizer_rules
from language.spacy_support import import_spacy
from language.tokenizer import RuleTokenizer, is_word
from tests.support import PROJECT_DIR

SOURCES = ("data/nlu", "bench/data", "knowledge/content")
# Rasa's entity markup in training examples: "[sprzedaży](aspect)" and "[x]{...}" read as "x".
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def _strings(node) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _sentences() -> List[Tuple[str, str]]:
    """(where, text) for each line of each string of each YAML or Markdown file of SOURCES."""
    found = []
    for source in SOURCES:
        for path in sorted((PROJECT_DIR / source).rglob("*")):
            if path.suffix not in (".yml", ".yaml", ".md"):
                continue
            text = path.read_text(encoding="utf-8")
            strings = _strings(yaml.safe_load(text)) if path.suffix != ".md" else [text]
            for string in strings:
                for line in string.splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        line = line[2:]
                    if line:
                        found.append((str(path.relative_to(PROJECT_DIR)), line))
                        if ENTITY_MARKUP.search(line):
                            found.append((str(path.relative_to(PROJECT_DIR)), ENTITY_MARKUP.sub(r"\1", line)))
    return found


SENTENCES = _sentences()


@pytest.fixture(scope="module")
def tokenizers():
    spacy = import_spacy()
    return {lang: (RuleTokenizer(tokenizer_rules(lang)), spacy.blank(lang).tokenizer) for lang in LANGUAGES}


def _spacy_words(tokenizer, text: str) -> List[Tuple[str, int, int]]:
    return [(t.text, t.idx, t.idx + len(t.text)) for t in tokenizer(text) if not (t.is_space or t.is_punct)]


def _ours(tokenizer: RuleTokenizer, text: str) -> List[Tuple[str, int, int]]:
    return [(piece, start, start + len(piece)) for piece, start in tokenizer.words(text)]


def _all_spacy(tokenizer, text: str) -> List[Tuple[str, int]]:
    return [(t.text, t.idx) for t in tokenizer(text) if not t.text.isspace()]


def test_the_sources_are_read():
    where = {w.split("/")[0] + "/" + w.split("/")[1] for w, _ in SENTENCES}
    assert {"data/nlu", "bench/data", "knowledge/content"} <= where
    assert any(w.startswith("bench/data/real/") for w, _ in SENTENCES)
    assert len(SENTENCES) > 2000


@pytest.mark.parametrize("lang", LANGUAGES)
def test_word_tokens_equal_spacys_on_every_sentence_of_the_data(tokenizers, lang):
    ours, spacys = tokenizers[lang]
    differing = []
    for where, text in SENTENCES:
        if _ours(ours, text) != _spacy_words(spacys, text):
            # The real questions' held-out items are not shown, only where they are.
            differing.append(where if where.startswith("bench/data/real/") else f"{where}: {text!r}")
    assert not differing, f"{len(differing)} of {len(SENTENCES)} differ: {differing[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_token_equals_spacys_around_each_special_case(tokenizers, lang):
    """Punctuation tokens too, so the special cases' own splitting is checked (":)", "a.m.", "don't")."""
    ours, spacys = tokenizers[lang]
    differing = []
    for special in tokenizer_rules(lang)["special_cases"]:
        for text in (special, f"Tak {special} nie.", f"({special})", f"„{special}”,", f"{special}{special}", f"x{special}."):
            if [p for p in ours(text) if not p[0].isspace()] != _all_spacy(spacys, text):
                differing.append(text)
    assert not differing, f"{len(differing)} differ: {differing[:20]}"


_PIECES = st.sampled_from([
    "plan", "sprzedaży", "budżet", "Cel", "marketingu", "don't", "U.S.", "e-mail", "B2B", "20", "20%", "3,5",
    "1.5", "10 000", "zł", "$100", "km/h", "(", ")", "„", "”", '"', "'", "'s", "n't", ".", ",", "...", "…", "?",
    "!", ":", ";", "-", "–", "—", "/", ":)", "a.m.", "np.", "itd.", "www.example.com", "https://a.pl/x?y=1",
    "jan@firma.pl", "#tag", "@user", "Q3", "2026-12-01", "12:30", "co-marketing", "re-brand", "CEO's", "\n", "  ",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lang=st.sampled_from(LANGUAGES),
    pieces=st.lists(st.tuples(_PIECES, st.sampled_from(["", " ", " ", "\t"])), min_size=1, max_size=12),
)
def test_every_token_equals_spacys_on_generated_text(tokenizers, lang, pieces):
    text = "".join(piece + gap for piece, gap in pieces)
    ours, spacys = tokenizers[lang]
    assert [p for p in ours(text) if not p[0].isspace()] == _all_spacy(spacys, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lang=st.sampled_from(LANGUAGES), text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_word_tokens_equal_spacys_on_arbitrary_text(tokenizers, lang, text):
    ours, spacys = tokenizers[lang]
    assert _ours(ours, text) == _spacy_words(spacys, text)


def test_words_drop_punctuation_and_space():
    assert is_word("plan") and is_word("20") and is_word("$")
    assert not is_word("...") and not is_word("„") and not is_word("\n")
