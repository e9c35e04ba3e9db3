"""Polish forms a term list misses: adverbs derived from adjectives ("lojalny" -> "lojalnie",
"szeroki" -> "szeroko") and the noun-first order of an adjective and a noun ("klient
powracający" for "powracający klient").

Morfeusz 2 gives an adverb its own lemma, so a term list that names the adjective misses the
adverb. `polish_adverbs` derives the candidates by the regular endings and keeps only those
Morfeusz knows as adverbs (adv:pos) of that exact form, so no invented word is ever returned.
"""

from __future__ import annotations

import functools
from typing import Tuple

import morfeusz2

# Adjective ending -> adverb endings to try (the adjective's last letters are replaced).
_ENDINGS = (
    ("ny", ("nie", "no")),      # lojalny -> lojalnie, strategiczny -> strategicznie
    ("ni", ("nio",)),           # bezpośredni -> bezpośrednio
    ("wy", ("wo", "wie")),      # długofalowy -> długofalowo
    ("ki", ("ko",)),            # szeroki -> szeroko
    ("gi", ("go",)),            # długi -> długo
    ("ły", ("le",)),            # stały -> stale
    ("ry", ("rze",)),           # dobry -> dobrze
    ("ty", ("cie",)),           # zajęty -> zajęcie (kept only if Morfeusz says adverb)
    ("y", ("o", "ie")),
)


@functools.lru_cache(maxsize=1)
def _morfeusz() -> "morfeusz2.Morfeusz":
    return morfeusz2.Morfeusz(generate=False, expand_tags=False)


def _is_adjective(word: str) -> bool:
    return any(
        start == 0 and lemma.split(":", 1)[0] == word and tag.startswith("adj")
        for start, _end, (_form, lemma, tag, _names, _quals) in _morfeusz().analyse(word)
    )


def _is_adverb(word: str) -> bool:
    return any(
        start == 0 and lemma.split(":", 1)[0] == word and tag == "adv:pos"
        for start, _end, (_form, lemma, tag, _names, _quals) in _morfeusz().analyse(word)
    )


@functools.lru_cache(maxsize=4096)
def polish_adverbs(word: str) -> Tuple[str, ...]:
    """The adverbs of the Polish adjective `word` (its base form), or () when it is none."""
    word = word.strip().lower()
    if " " in word or not _is_adjective(word):
        return ()
    found = []
    for ending, replacements in _ENDINGS:
        if word.endswith(ending):
            stem = word[: -len(ending)]
            found.extend(stem + r for r in replacements if _is_adverb(stem + r))
            if found:
                break
    return tuple(dict.fromkeys(found))


def _is_modifier(word: str) -> bool:
    """An adjective or an adjectival participle in any form ("silna", "powracający")."""
    return any(
        start == 0 and tag.split(":", 1)[0] in ("adj", "pact", "ppas")
        for start, _end, (_form, _lemma, tag, _names, _quals) in _morfeusz().analyse(word)
    )


def _is_noun(word: str) -> bool:
    return any(
        start == 0 and tag.startswith("subst")
        for start, _end, (_form, _lemma, tag, _names, _quals) in _morfeusz().analyse(word)
    )


@functools.lru_cache(maxsize=4096)
def polish_noun_first(phrase: str) -> str:
    """"klient powracający" for "powracający klient": Polish often puts the adjective after the
    noun. For a two-word phrase of an adjective and a noun, the phrase in the other order; else ""."""
    words = phrase.strip().lower().split()
    if len(words) != 2:
        return ""
    adjective, noun = words
    if _is_modifier(adjective) and _is_noun(noun) and not _is_modifier(noun):
        return f"{noun} {adjective}"
    return ""
