"""Tokens with lemmas: Morfeusz 2 for Polish, spaCy's lookup tables for English.

The tokens are spaCy's blank tokenizer's words, from language/tokenizer.py (spaCy is not imported).

Every lemma is folded (lower case, no diacritics), so "budżetu", "Budżetem" and "budzetu"
all give the lemma "budzet". Polish words typed without diacritics, which Morfeusz does not
know, are restored by trying the likely diacritic variants, fewest changes first.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from language import LANGUAGES
from language.folding import POLISH_RESTORATIONS, fold
from language.spacy_data import english_lemma_lookup, stop_words, tokenizer_rules
from language.tokenizer import RuleTokenizer


# Text beyond this many characters is not analysed: it bounds the work one message can cause.
MAX_ANALYSED_CHARS = 2000
# The analyses of this many recent (text, language) pairs are kept, so a text analysed again soon
# after costs a look-up: the NLU pipeline's tokenizer and term matcher read the same message one
# after the other, and so do the goal classifier's term matcher and its reading of durations.
# Few, and keyed on at most MAX_ANALYSED_CHARS characters, so the memory they take stays small.
RECENT_ANALYSES = 8
# At most this many words of one message get their diacritics restored (each costs up to
# _MAX_VARIANTS dictionary look-ups); later unknown words keep their folded form.
_MAX_RESTORED_WORDS = 40
# Restoring diacritics tries at most this many variants of one word, and words up to this length.
_MAX_VARIANTS = 160
_MAX_RESTORED_LENGTH = 24
_MAX_CHANGES = 3
# Which reading of an ambiguous Polish word gives its primary lemma ("budżetowi": the noun
# "budżet" rather than the adjective "budżetowy").
_POS_PRIORITY = {"subst": 0, "depr": 0, "fin": 1, "inf": 1, "praet": 1, "adj": 2, "adja": 2, "adv": 3}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lemma: str
    """The folded lemma used as the token's feature."""
    lemmas: FrozenSet[str]
    """Every folded lemma the word may have (Polish words are often ambiguous)."""
    known: bool
    """Whether the language's lexicon recognised the word (directly or with restored diacritics)."""

    @property
    def forms(self) -> FrozenSet[str]:
        """What the token matches by: its lemmas and its own folded text."""
        return self.lemmas | {fold(self.text)}


@dataclass(frozen=True)
class WordAnalysis:
    lemmas: Tuple[str, ...]
    known: bool


class Lemmatizer:
    """Tokenises and lemmatises Polish and English text. Create one per process."""

    def __init__(self, recent_analyses: int = RECENT_ANALYSES) -> None:
        """`recent_analyses`: how many recent texts' tokens are kept for reuse (0: none)."""
        # The tokenizers, Morfeusz and the English tables load on first use, each when a text of
        # its language needs it: importing this module (as the knowledge base's validation does)
        # must not cost their loading time, and `advisor classify` of a Polish goal never builds
        # the English tokenizer.
        self._tokenizers: Dict[str, RuleTokenizer] = {}
        # Cached by (word, restore) however `polish_word` is called: functools' cache keys
        # `f(word)` and `f(word, True)` apart, which analysed a word twice (language detection
        # asks without `restore`, the tokens with it) and kept both.
        self._polish_words = functools.lru_cache(maxsize=100_000)(self._polish_word)
        self.english_word = functools.lru_cache(maxsize=100_000)(self._english_word)
        self._recent = functools.lru_cache(maxsize=recent_analyses)(self._analyse)

    def _tokenizer(self, lang: str) -> RuleTokenizer:
        tokenizer = self._tokenizers.get(lang)
        if tokenizer is None:
            if lang not in LANGUAGES:
                raise ValueError(f"no tokenizer for language {lang!r}")
            tokenizer = self._tokenizers[lang] = RuleTokenizer(tokenizer_rules(lang))
        return tokenizer

    @functools.cached_property
    def _morfeusz(self) -> Any:
        import morfeusz2

        return morfeusz2.Morfeusz(generate=False, expand_tags=False)

    @functools.cached_property
    def _english_lexicon(self) -> Tuple[Dict[str, str], FrozenSet[str], FrozenSet[str]]:
        """spaCy's English lemma table, the lemmas it knows, and the English stop words."""
        table = english_lemma_lookup()
        return table, frozenset(table.values()), stop_words("en")

    def forms(self, text: str, lang: str) -> FrozenSet[str]:
        """The forms of every token of `text` (a word or a phrase of a word list); its folded text
        when it has no word tokens."""
        tokens = self.tokens(str(text), lang)
        return frozenset().union(*(t.forms for t in tokens)) if tokens else frozenset({fold(str(text))})

    def tokens(self, text: str, lang: str) -> List[Token]:
        """The word tokens of `text` (punctuation and spaces dropped) with their lemmas."""
        # A new list each time (the caller may change it) of the same immutable tokens.
        return list(self._recent(text[:MAX_ANALYSED_CHARS], lang))

    def _analyse(self, text: str, lang: str) -> Tuple[Token, ...]:
        """The tokens of `text`, already cut to MAX_ANALYSED_CHARS (only that part is analysed)."""
        result = []
        restorations = 0
        for text_of_token, start in self._tokenizer(lang).words(text):
            word = text_of_token.lower()
            if lang == "en":
                analysis = self.english_word(word)
            else:
                analysis = self.polish_word(word, restorations < _MAX_RESTORED_WORDS)
                restorations += not analysis.known
            result.append(
                Token(
                    text=text_of_token,
                    start=start,
                    end=start + len(text_of_token),
                    lemma=analysis.lemmas[0],
                    lemmas=frozenset(analysis.lemmas),
                    known=analysis.known,
                )
            )
        return tuple(result)

    def lemmas(self, text: str, lang: str) -> List[str]:
        """The primary folded lemma of each word of `text`."""
        return [token.lemma for token in self.tokens(text, lang)]

    # Polish ---------------------------------------------------------------------------------
    def _morfeusz_lemmas(self, word: str) -> Tuple[str, ...]:
        """Candidate lemmas, nouns first, then adjectives, then the rest, in Morfeusz's order."""
        ranked = []
        for order, (start, _end, (_form, lemma, tag, _names, _quals)) in enumerate(self._morfeusz.analyse(word)):
            if start != 0 or tag == "ign":
                continue
            base = fold(lemma.split(":", 1)[0])
            if base:
                ranked.append((_POS_PRIORITY.get(tag.split(":", 1)[0], len(_POS_PRIORITY)), order, base))
        return tuple(dict.fromkeys(base for _, _, base in sorted(ranked)))

    def polish_word(self, word: str, restore: bool = True) -> WordAnalysis:
        """The lemmas of a lower-cased Polish `word` (with `restore`: of the word with its missing
        diacritics restored, when only that is known), cached."""
        return self._polish_words(word, bool(restore))

    def _polish_word(self, word: str, restore: bool = True) -> WordAnalysis:
        lemmas = self._morfeusz_lemmas(word)
        if lemmas:
            return WordAnalysis(lemmas, known=True)
        restored = self._restore_diacritics(word) if restore else None
        if restored:
            return WordAnalysis(restored, known=True)
        return WordAnalysis((fold(word),), known=False)

    def _restore_diacritics(self, word: str) -> Optional[Tuple[str, ...]]:
        if not word.isalpha() or len(word) > _MAX_RESTORED_LENGTH or word != fold(word):
            return None
        # Polish diacritics cluster in endings ("-ość", "-ać", "-ę"): try the last letters first.
        positions = [i for i, ch in reversed(list(enumerate(word))) if ch in POLISH_RESTORATIONS]
        tried = 0
        for changes in range(1, min(_MAX_CHANGES, len(positions)) + 1):
            for chosen in itertools.combinations(positions, changes):
                for letters in itertools.product(*(POLISH_RESTORATIONS[word[i]] for i in chosen)):
                    if tried >= _MAX_VARIANTS:
                        return None
                    tried += 1
                    variant = list(word)
                    for i, letter in zip(chosen, letters):
                        variant[i] = letter
                    lemmas = self._morfeusz_lemmas("".join(variant))
                    if lemmas:
                        return lemmas
        return None

    # English --------------------------------------------------------------------------------
    def _english_word(self, word: str) -> WordAnalysis:
        lemmas, lemma_values, english_stop_words = self._english_lexicon
        lemma = lemmas.get(word)
        if lemma is not None:
            return WordAnalysis((fold(lemma), fold(word)), known=True)
        known = word in lemma_values or word in english_stop_words
        return WordAnalysis((fold(word),), known=known)


@functools.lru_cache(maxsize=1)
def get_lemmatizer() -> Lemmatizer:
    """The process's lemmatiser (loading Morfeusz and the lookup tables takes a moment)."""
    return Lemmatizer()
