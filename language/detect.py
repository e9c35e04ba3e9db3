"""Which language a message is written in: Polish, English, or too little to tell.

Works on short messages too: each word votes for the language whose lexicon knows it and the
other does not; Polish letters are strong evidence. A message with no clear winner gives
None, and the conversation keeps the language it had.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS
from spacy.lang.pl.stop_words import STOP_WORDS as PL_STOP_WORDS

from language.lemmatizer import Lemmatizer

_POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_WORD = re.compile(r"[^\W\d_]+")
_SHARED_STOP_WORDS = EN_STOP_WORDS & PL_STOP_WORDS
_EN_ONLY_STOP_WORDS = EN_STOP_WORDS - _SHARED_STOP_WORDS
_PL_ONLY_STOP_WORDS = PL_STOP_WORDS - _SHARED_STOP_WORDS
# Words this long or more decide nothing by themselves unless a lexicon knows them.
_MIN_LEXICON_WORD = 2
# How far ahead a language must be, in votes, to be chosen.
_MARGIN = 1.0


def detect_language(text: str, lemmatizer: Lemmatizer) -> Optional[str]:
    """"pl", "en", or None when the text gives no clear evidence."""
    scores = {"pl": 0.0, "en": 0.0}
    for word in _WORD.findall(text[:2000].lower())[:200]:
        if _POLISH_LETTERS.search(word):
            scores["pl"] += 2
            continue
        if word in _PL_ONLY_STOP_WORDS:
            scores["pl"] += 1
            continue
        if word in _EN_ONLY_STOP_WORDS:
            scores["en"] += 1
            continue
        if len(word) < _MIN_LEXICON_WORD or word in _SHARED_STOP_WORDS:
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
