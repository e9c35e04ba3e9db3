"""Find term-list phrases in text by lemmas, so inflection and missing diacritics do not matter.

A term list maps a kind of thing ("aspect", "plan", "language") to targets ("budget", "sales")
and each target to phrases per language ("ile kosztować", "how much"). A phrase matches a run
of consecutive tokens when each of its words shares a lemma with the token at that place.
Phrases of every language are tried on every message, so mixed-language text still matches.
A word no lexicon knows ("marketignowy", "markting") also matches the term words within a small
edit distance, so common typos do not hide a plan or an aspect.

With `max_gap` > 0 a phrase of several words may also match with up to that many other words
between two of its words ("wprowadzić 3 nowe, rewolucyjne produkty" for "wprowadzić nowy
produkt"), never across the end of a sentence and never over a word that is a term of its own.
Consecutive matches of multi-word phrases are found first, then the gapped ones on the words
left free, then single words. The default, 0, keeps every match consecutive.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Mapping, Sequence, Tuple

from language.lemmatizer import Lemmatizer, Token

# Typo tolerance: unknown words this long may differ from a term word by this many edits.
_TYPO_LIMITS = ((9, 2), (5, 1))
# At most this many unknown words of one message are compared with the term vocabulary.
_MAX_TYPO_WORDS = 20

# A gapped match never spans these (the end of a sentence or clause list).
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]")

# kind -> target -> language -> phrases
TermLists = Mapping[str, Mapping[str, Mapping[str, Sequence[str]]]]


@dataclass(frozen=True)
class Match:
    kind: str
    target: str
    start: int
    end: int
    text: str
    phrase: str


@dataclass(frozen=True)
class _Pattern:
    kind: str
    target: str
    phrase: str
    words: Tuple[FrozenSet[str], ...]


class TermMatcher:
    """Matches the phrases of `terms` in text. Build once, use for every message."""

    def __init__(self, terms: TermLists, lemmatizer: Lemmatizer, max_gap: int = 0) -> None:
        if not isinstance(max_gap, int) or isinstance(max_gap, bool) or max_gap < 0:
            raise ValueError(f"max_gap must be a whole number >= 0 (got {max_gap!r})")
        self._lemmatizer = lemmatizer
        self._max_gap = max_gap
        patterns: Dict[Tuple[str, str, Tuple[FrozenSet[str], ...]], _Pattern] = {}
        for kind, targets in terms.items():
            for target, by_language in targets.items():
                for lang, phrases in by_language.items():
                    for phrase in phrases:
                        words = tuple(t.forms for t in lemmatizer.tokens(phrase, lang))
                        if words:
                            patterns.setdefault((kind, target, words), _Pattern(kind, target, phrase, words))
        # Longer phrases first, so "badanie rynku" wins over "badanie".
        self._patterns = sorted(patterns.values(), key=lambda p: (-len(p.words), p.kind, p.target))
        self._vocabulary = frozenset(form for p in self._patterns for word in p.words for form in word)
        # Words that are a term on their own: they may not stand in a gap ("more loyal customers"
        # is not "more customers").
        self._single_words = frozenset(form for p in self._patterns if len(p.words) == 1 for form in p.words[0])
        self._corrections = functools.lru_cache(maxsize=20_000)(self._near_terms)
        # form -> indexes (in `_patterns` order) of the patterns whose first word has that form
        by_first_form: Dict[str, List[int]] = {}
        for index, pattern in enumerate(self._patterns):
            for form in pattern.words[0]:
                by_first_form.setdefault(form, []).append(index)
        self._by_first_form = by_first_form

    def find(self, text: str, lang: str) -> List[Match]:
        """Matches in `text` on distinct words, longest first, in text order.

        (A gapped match's span may contain the words of another match found in its gap.)
        """
        tokens = self._lemmatizer.tokens(text, lang)
        forms = [t.forms for t in tokens]
        unknown = [i for i, token in enumerate(tokens) if not token.known and not forms[i] & self._vocabulary]
        for i in unknown[:_MAX_TYPO_WORDS]:
            forms[i] = forms[i] | self._corrections(tokens[i].lemma)
        taken = [False] * len(tokens)
        matches = []
        if not self._max_gap:
            self._indexed(text, tokens, forms, taken, matches)
        else:
            # Phrases of several words, consecutive and then with gaps, before single words.
            multi = [p for p in self._patterns if len(p.words) > 1]
            single = [p for p in self._patterns if len(p.words) == 1]
            self._consecutive(multi, text, tokens, forms, taken, matches)
            self._gapped(multi, text, tokens, forms, taken, matches)
            self._consecutive(single, text, tokens, forms, taken, matches)
        return sorted(matches, key=lambda m: m.start)

    def _indexed(self, text: str, tokens: Sequence[Token], forms: Sequence[FrozenSet[str]],
                 taken: List[bool], matches: List[Match]) -> None:
        """Consecutive matches of every pattern, in one pass over the index of first words."""
        # Every place where a pattern matches, found through the index of first words (only
        # the patterns that can start at a token are tried) ...
        candidates = set()
        for i, token_forms in enumerate(forms):
            for form in token_forms:
                for index in self._by_first_form.get(form, ()):
                    size = len(self._patterns[index].words)
                    if i + size <= len(tokens) and (index, i) not in candidates and all(
                        self._patterns[index].words[j] & forms[i + j] for j in range(1, size)
                    ):
                        candidates.add((index, i))
        # ... then taken greedily in pattern order (longest first) and text order, as before.
        for index, i in sorted(candidates):
            pattern = self._patterns[index]
            size = len(pattern.words)
            if any(taken[i : i + size]):
                continue
            taken[i : i + size] = [True] * size
            first, last = tokens[i], tokens[i + size - 1]
            matches.append(
                Match(pattern.kind, pattern.target, first.start, last.end, text[first.start : last.end], pattern.phrase)
            )

    @staticmethod
    def _consecutive(patterns: Sequence[_Pattern], text: str, tokens: Sequence[Token],
                     forms: Sequence[FrozenSet[str]], taken: List[bool], matches: List[Match]) -> None:
        """Add the matches of `patterns` on consecutive free tokens, marking their tokens taken."""
        for pattern in patterns:
            size = len(pattern.words)
            for i in range(len(tokens) - size + 1):
                if any(taken[i : i + size]):
                    continue
                if all(pattern.words[j] & forms[i + j] for j in range(size)):
                    taken[i : i + size] = [True] * size
                    first, last = tokens[i], tokens[i + size - 1]
                    matches.append(
                        Match(pattern.kind, pattern.target, first.start, last.end, text[first.start : last.end], pattern.phrase)
                    )

    def _gapped(self, patterns: Sequence[_Pattern], text: str, tokens: Sequence[Token],
                forms: Sequence[FrozenSet[str]], taken: List[bool], matches: List[Match]) -> None:
        """Add the matches of multi-word `patterns` with up to `max_gap` words between their words.

        Only free tokens are used, and a word in a gap must be free and not a term on its own
        (it would carry a meaning of its own). Only the phrase's words are marked as taken.
        """
        for pattern in patterns:
            size = len(pattern.words)
            for i in range(len(tokens)):
                if taken[i] or not pattern.words[0] & forms[i]:
                    continue
                positions = [i]
                for word in pattern.words[1:]:
                    previous = positions[-1]
                    found = None
                    for k in range(previous + 1, min(len(tokens), previous + 2 + self._max_gap)):
                        if _SENTENCE_BREAK.search(text[tokens[k - 1].end : tokens[k].start]):
                            break
                        if not taken[k] and word & forms[k]:
                            found = k
                            break
                        if taken[k] or forms[k] & self._single_words:
                            break
                    if found is None:
                        break
                    positions.append(found)
                if len(positions) < size:
                    continue
                for k in positions:
                    taken[k] = True
                first, last = tokens[positions[0]], tokens[positions[-1]]
                matches.append(
                    Match(pattern.kind, pattern.target, first.start, last.end, text[first.start : last.end], pattern.phrase)
                )

    def targets(self, text: str, lang: str, kind: str) -> List[str]:
        """The distinct targets of `kind` found in `text`, in text order."""
        seen: List[str] = []
        for match in self.find(text, lang):
            if match.kind == kind and match.target not in seen:
                seen.append(match.target)
        return seen


    def _near_terms(self, word: str) -> FrozenSet[str]:
        """Term words within the typo limit of `word` (an unknown, folded word)."""
        limit = next((edits for length, edits in _TYPO_LIMITS if len(word) >= length), 0)
        if not limit:
            return frozenset()
        return frozenset(
            term for term in self._vocabulary
            if abs(len(term) - len(word)) <= limit and _edit_distance(word, term, limit) <= limit
        )


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), or limit + 1 when above limit."""
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]



