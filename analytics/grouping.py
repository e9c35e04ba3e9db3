"""Near-identical questions together: the same content words, by lemma, in the same language.

"Jak upiec chleb?", "jak upiec chleba" and "JAK UPIEC CHLEB" share the lemmas {upiec, chleb}
once the function words are dropped, so they form one group.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

from language.folding import fold
from language.spacy_data import stop_words

STOP_LEMMAS = {
    "pl": frozenset(fold(word) for word in stop_words("pl")),
    "en": frozenset(fold(word) for word in stop_words("en")) | {"be"},
}

Lemmas = Callable[[str, str], List[str]]


def group_key(text: str, lang: str, lemmas: Lemmas) -> Tuple[str, FrozenSet[str]]:
    words = lemmas(text, lang if lang in STOP_LEMMAS else "pl")
    content = frozenset(w for w in words if len(w) > 1 and w not in STOP_LEMMAS.get(lang, frozenset()))
    return lang, content or frozenset(words) or frozenset({fold(" ".join(text.split()))})


@dataclass
class Asked:
    """One failed question: what was asked, where, when, and how the assistant replied."""

    text: str
    language: str
    timestamp: float
    conversation: str
    kind: str  # "declined" | "did_you_mean"
    accepted: bool = False
    """A did-you-mean whose offered topic the person then chose (and got an answer)."""


@dataclass
class Group:
    language: str
    wordings: Counter = field(default_factory=Counter)
    latest: Dict[str, float] = field(default_factory=dict)
    kinds: Counter = field(default_factory=Counter)
    items: List[Asked] = field(default_factory=list)
    conversations: Dict[str, float] = field(default_factory=dict)
    last_seen: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.wordings.values())

    @property
    def text(self) -> str:
        """The most frequent wording; among equals the newest."""
        return max(self.wordings, key=lambda w: (self.wordings[w], self.latest[w]))

    def add(self, asked: Asked) -> None:
        wording = " ".join(asked.text.split())
        self.wordings[wording] += 1
        self.latest[wording] = max(self.latest.get(wording, 0.0), asked.timestamp)
        self.kinds[asked.kind] += 1
        self.items.append(asked)
        self.conversations[asked.conversation] = max(self.conversations.get(asked.conversation, 0.0), asked.timestamp)
        self.last_seen = max(self.last_seen, asked.timestamp)

    @property
    def accepted(self) -> int:
        return sum(item.accepted for item in self.items)

    def newest_conversations(self, limit: Optional[int] = None) -> List[str]:
        ordered = sorted(self.conversations, key=lambda c: -self.conversations[c])
        return ordered[:limit] if limit else ordered


def group_questions(asked: List[Asked], lemmas: Lemmas) -> List[Group]:
    """Groups of near-identical questions, newest first."""
    keys: Dict[Tuple[str, str], Tuple[str, FrozenSet[str]]] = {}
    groups: Dict[Tuple[str, FrozenSet[str]], Group] = {}
    for item in asked:
        wording = (item.text, item.language)
        if wording not in keys:
            keys[wording] = group_key(item.text, item.language, lemmas)
        key = keys[wording]
        groups.setdefault(key, Group(language=item.language)).add(item)
    return sorted(groups.values(), key=lambda g: (-g.last_seen, -g.count, g.text))
