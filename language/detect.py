"""Which language a message is written in: Polish, English, or too little to tell.

Works on short messages too: each word votes for the language whose lexicon knows it and the
other does not; Polish letters are strong evidence. A message with no clear winner gives
None, and the conversation keeps the language it had.
"""

from __future__ import annotations

import functools
import re
from typing import FrozenSet, Optional, Tuple

from language.lemmatizer import Lemmatizer
from language.spacy_data import stop_words

_POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_WORD = re.compile(r"[^\W\d_]+")
# Words this long or more decide nothing by themselves unless a lexicon knows them.
_MIN_LEXICON_WORD = 2
# How far ahead a language must be, in votes, to be chosen.
_MARGIN = 1.0
# Abbreviations written in capitals (EUR, USD, PLN, KPI, CAC, SEO) belong to no language, though a
# lexicon may list them ("EUR" is in Morfeusz's, not in the English lookups): they do not vote.
_MAX_ABBREVIATION = 5
# Words speakers of either language write: "ok" is on spaCy's Polish stop-word list (for "około"),
# and an English "ok" switched the conversation to Polish.
_INTERNATIONAL = frozenset({"ok"})


def detect_language(text: str, lemmatizer: Lemmatizer) -> Optional[str]:
    """"pl", "en", or None when the text gives no clear evidence."""
    shared, en_only, pl_only = _stop_words()
    scores = {"pl": 0.0, "en": 0.0}
    for word in _WORD.findall(text[:2000])[:200]:
        if _POLISH_LETTERS.search(word):
            scores["pl"] += 2
            continue
        if len(word) > 1 and word.isupper() and len(word) <= _MAX_ABBREVIATION:
            continue
        word = word.lower()
        if word in _INTERNATIONAL:
            continue
        if word in pl_only:
            scores["pl"] += 1
            continue
        if word in en_only:
            scores["en"] += 1
            continue
        if len(word) < _MIN_LEXICON_WORD or word in shared:
            continue
        polish = lemmatizer.polish_word(word).known
        english = lemmatizer.english_word(word).known
        if polish and not english:
            scores["pl"] += 1
        elif english and not polish:
            scores["en"] += 1
    if scores["pl"] - scores["en"] >= _MARGIN:
        return "pl"
    if scores["en"] - scores["pl"] >= _MARGIN:
        return "en"
    return None


@functools.lru_cache(maxsize=1)
def _stop_words() -> Tuple[FrozenSet[str], FrozenSet[str], FrozenSet[str]]:
    """Stop words of both languages, of English only and of Polish only (spaCy's lists)."""
    english, polish = stop_words("en"), stop_words("pl")
    shared = english & polish
    return shared, english - shared, polish - shared
