"""Find term-list phrases in text by lemmas, so inflection and missing diacritics do not matter.

A term list maps a kind of thing ("aspect", "plan", "language") to targets ("budget", "sales")
and each target to phrases per language ("ile kosztować", "how much"). A phrase matches a run
of consecutive tokens when each of its words shares a lemma with the token at that place.
Phrases of every language are tried on every message, so mixed-language text still matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Mapping, Sequence, Tuple

from language.folding import fold
from language.lemmatizer import Lemmatizer, Token

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

    def __init__(self, terms: TermLists, lemmatizer: Lemmatizer) -> None:
        self._lemmatizer = lemmatizer
        patterns: Dict[Tuple[str, str, Tuple[FrozenSet[str], ...]], _Pattern] = {}
        for kind, targets in terms.items():
            for target, by_language in targets.items():
                for lang, phrases in by_language.items():
                    for phrase in phrases:
                        words = tuple(_tokens_forms(lemmatizer.tokens(phrase, lang)))
                        if words:
                            patterns.setdefault((kind, target, words), _Pattern(kind, target, phrase, words))
        # Longer phrases first, so "badanie rynku" wins over "badanie".
        self._patterns = sorted(patterns.values(), key=lambda p: (-len(p.words), p.kind, p.target))

    def find(self, text: str, lang: str) -> List[Match]:
        """Non-overlapping matches in `text`, longest first, in text order."""
        tokens = self._lemmatizer.tokens(text, lang)
        forms = _tokens_forms(tokens)
        taken = [False] * len(tokens)
        matches = []
        for pattern in self._patterns:
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
        return sorted(matches, key=lambda m: m.start)

    def targets(self, text: str, lang: str, kind: str) -> List[str]:
        """The distinct targets of `kind` found in `text`, in text order."""
        seen: List[str] = []
        for match in self.find(text, lang):
            if match.kind == kind and match.target not in seen:
                seen.append(match.target)
        return seen


def _tokens_forms(tokens: Iterable[Token]) -> List[FrozenSet[str]]:
    return [token.lemmas | {fold(token.text)} for token in tokens]
