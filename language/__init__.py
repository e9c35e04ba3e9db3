"""Language processing shared by the NLU components, the knowledge base and the goal classifier.

Tokenisation (spaCy's blank tokenizers' rules, run without importing spaCy), lemmas (Morfeusz 2
for Polish, spaCy's lookup table for English), language detection, and matching of term lists
over lemmas.
"""

from typing import Tuple

LANGUAGES = ("pl", "en")
"""The languages the assistant speaks, the first the default; the one definition of them."""


def languages_from(lang: str) -> Tuple[str, ...]:
    """All the languages, `lang` first (a text is read in its own language before the others)."""
    return (lang,) + tuple(other for other in LANGUAGES if other != lang)


MESSAGE_LANGUAGE = "language"
"""The parse-data key holding a message's language, decided once by the NLU pipeline
(bot/components/term_entities.py); the one definition of it."""
