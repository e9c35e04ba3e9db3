"""The spaCy data this project uses, read without importing spaCy.

- the tokenizer rules of `spacy.blank("pl")` and `spacy.blank("en")` (prefix, suffix, infix and
  URL patterns, special cases) and spaCy's Polish and English stop words: exported from the
  installed spaCy into language/spacy_data.json by `python -m language.spacy_support`;
- spaCy's English lemma lookup table: read from the spacy-lookups-data package's file, the way
  `spacy.lookups.load_lookups("en", ["lemma_lookup"])` reads it.

tests/unit/test_spacy_data.py checks that each equals what spaCy itself gives, so an upgrade of
spaCy or spacy-lookups-data that changes them fails the tests until the file is exported again.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any, Dict, FrozenSet

from language import LANGUAGES

DATA_FILE = Path(__file__).with_name("spacy_data.json")


@functools.lru_cache(maxsize=1)
def _data() -> Dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"no spaCy data for language {lang!r}")


def tokenizer_rules(lang: str) -> Dict[str, Any]:
    """The rules of spaCy's blank tokenizer of `lang` (language/tokenizer.py's RuleTokenizer takes them)."""
    _check(lang)
    return _data()["tokenizer"][lang]


@functools.lru_cache(maxsize=None)
def stop_words(lang: str) -> FrozenSet[str]:
    """spaCy's stop words of "pl" or "en"."""
    _check(lang)
    return frozenset(_data()["stop_words"][lang])


def english_lemma_lookup() -> Dict[str, str]:
    """spaCy's English lemma lookup table (spacy-lookups-data), word -> lemma."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.en["lemma_lookup"])
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    with gzip.open(path.with_suffix(path.suffix + ".gz"), "rt", encoding="utf-8") as file:
        return json.load(file)
