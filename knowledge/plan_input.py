"""Reading what a user types while building a plan: which goal they mean, a replacement goal,
a budget. The words come from the drafting document (`knowledge/content/drafting.yml`) and
are matched on lemmas, so "drugiego celu" and "drugi cel" mean the same goal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
import functools
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from knowledge import LANGUAGES
from knowledge.drafting import Drafting
from language import languages_from
from language.folding import fold
from language.lemmatizer import Lemmatizer, Token
from language.spacy_data import stop_words

# A goal number written in digits is at most this long ("cel 12"); longer numbers are amounts.
_MAX_GOAL_NUMBER_DIGITS = 2
_MIN_CONTENT_WORD = 3
# A number: digits with optional thousands separators and a decimal part ("50 000", "1,5", "$20,000.50").
_NUMBER = re.compile(r"(?P<sign>[-−–]\s*)?(?P<digits>\d+(?:[ \u00a0\u202f.,']\d+)*)")
_SCIENTIFIC = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")
_RANGE_REST = re.compile(r"\s*[-–]\s*\d+(?:[ .,]\d+)*")
_MAX_AMOUNT = 1e12
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")


def clean(text: Optional[str]) -> str:
    """The text as the plan keeps it: no markup tags ("<img …>"), no control characters, single
    spaces. "<5%" stays: only tag-shaped text is removed."""
    text = _TAG.sub(" ", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def has_words(text: str) -> bool:
    """Whether the text has at least one letter or digit (emoji and punctuation alone do not count)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


@dataclass(frozen=True)
class GoalReference:
    number: int
    """1-based goal number, or -1 for "the last goal" (the drafting document's `last: -1`)."""
    end: int
    """Where the reference ends in the text (a replacement text starts after it)."""


@dataclass(frozen=True)
class BudgetReading:
    status: str
    """"amount", "no_amount", "negative", "zero", "unreadable" or "too_large"."""
    amount: Optional[float] = None
    currency: Optional[str] = None


class PlanInputReader:
    """Reads goal references, replacement texts, periods and budgets with the drafting document's
    words. Build once."""

    def __init__(self, drafting: Drafting, lemmatizer: Lemmatizer) -> None:
        self._lemmatizer = lemmatizer
        self._ordinals: Dict[str, List[Tuple[FrozenSet[str], int]]] = {}
        self._cardinals: Dict[str, List[Tuple[FrozenSet[str], int]]] = {}
        self._goal_words: Dict[str, FrozenSet[str]] = {}
        self._command_words: Dict[str, FrozenSet[str]] = {}
        self._remove_words: Dict[str, FrozenSet[str]] = {}
        self._replace_words: Dict[str, FrozenSet[str]] = {}
        self._separators: Dict[str, List[Tuple[str, Tuple[FrozenSet[str], ...]]]] = {}
        self._multipliers: Dict[str, List[Tuple[FrozenSet[str], float]]] = {}
        for lang in LANGUAGES:
            references = drafting.references(lang)
            self._ordinals[lang] = [(self._forms(w, lang), int(v)) for w, v in references["ordinals"].items()]
            self._cardinals[lang] = [(self._forms(w, lang), int(v)) for w, v in references["cardinals"].items()]
            self._goal_words[lang] = frozenset().union(*(self._forms(w, lang) for w in references["goal_words"]))
            self._remove_words[lang] = frozenset().union(*(self._forms(w, lang) for w in references["remove_words"]))
            self._replace_words[lang] = frozenset().union(*(self._forms(w, lang) for w in references["replace_words"]))
            self._command_words[lang] = frozenset().union(
                self._remove_words[lang], self._replace_words[lang],
                *(self._forms(w, lang) for w in references["command_words"]))
            self._separators[lang] = [(str(s), self._phrase(str(s), lang)) for s in references["replacement_separators"]]
            self._multipliers[lang] = [(self._forms(w, lang), v) for w, v in drafting.multipliers(lang).items()]
        self._periods = {
            lang: frozenset().union(*(self._forms(w, lang) for w in drafting.periods(lang))) for lang in LANGUAGES
        }
        self._currencies = [
            (code, [name for name in names if has_letters(name)], [name for name in names if not has_letters(name)])
            for code, names in drafting.currencies().items()
        ]
        self._currency_forms = {
            lang: [(code, frozenset().union(*(self._forms(n, lang) for n in words))) for code, words, _ in self._currencies]
            for lang in LANGUAGES
        }

    # -- goal references ----------------------------------------------------------------------
    def goal_reference(self, text: str, lang: str) -> Optional[GoalReference]:
        """The first goal number, order word ("drugi", "last") or "goal five" in the text."""
        best: Optional[Tuple[int, GoalReference]] = None
        for reading_lang in languages_from(lang):
            tokens = self._lemmatizer.tokens(text, reading_lang)
            for i, token in enumerate(tokens):
                number = self._reference_at(tokens, i, text, reading_lang)
                if number is not None:
                    if best is None or token.start < best[0]:
                        best = (token.start, GoalReference(number, token.end))
                    break
        return best[1] if best else None

    def _reference_at(self, tokens: Sequence[Token], i: int, text: str, lang: str) -> Optional[int]:
        token = tokens[i]
        forms = token.forms
        if token.text.isdigit() and len(token.text) <= _MAX_GOAL_NUMBER_DIGITS:
            following = text[token.end:token.end + 2].lstrip()
            if not following.startswith("%") and int(token.text) > 0:
                return int(token.text)
            return None
        for words, value in self._ordinals[lang]:
            if words & forms:
                return value
        if i > 0 and tokens[i - 1].forms & self._goal_words[lang]:
            for words, value in self._cardinals[lang]:
                if words & forms:
                    return value
        return None

    def goal_by_content(self, text: str, lang: str, goals: Sequence[str]) -> Optional[int]:
        """The 1-based number of the one goal sharing most content words with the text, if any."""
        words = [
            forms for forms in (t.forms for t in self._lemmatizer.tokens(text, lang))
            if not forms & (self._goal_words[lang] | self._command_words[lang] | _folded_stop_words())
            and max(len(f) for f in forms) >= _MIN_CONTENT_WORD
        ]
        if not words:
            return None
        scores = []
        for goal in goals:
            goal_forms = frozenset().union(*(t.forms for t in self._lemmatizer.tokens(goal, lang)))
            scores.append(sum(1 for forms in words if forms & goal_forms))
        top = max(scores, default=0)
        if top == 0 or scores.count(top) > 1:
            return None
        return scores.index(top) + 1

    def replacement(self, text: str, lang: str, start: int = 0) -> Tuple[Optional[str], int]:
        """The new goal text after the first separator found at or after `start`, and where the
        separator begins (len(text) when there is none)."""
        best: Optional[Tuple[int, int]] = None
        for sep, words in self._separators[lang] + [s for other in languages_from(lang)[1:] for s in self._separators[other]]:
            if not words:  # punctuation such as ":" or "="
                position = text.find(sep, start)
                if position >= 0 and (best is None or position < best[0]):
                    best = (position, position + len(sep))
                continue
            tokens = [t for t in self._lemmatizer.tokens(text, lang) if t.start >= start]
            for i in range(len(tokens) - len(words) + 1):
                if all(words[j] & {fold(tokens[i + j].text)} for j in range(len(words))):
                    if best is None or tokens[i].start < best[0]:
                        best = (tokens[i].start, tokens[i + len(words) - 1].end)
                    break
        if best is None:
            return None, len(text)
        new = clean(text[best[1]:]).strip(" :=-–—,.;")
        return (new or None), best[0]

    # -- periods ------------------------------------------------------------------------------
    def names_period(self, text: str, lang: str) -> bool:
        """Whether the text names a span of time ("rok", "Q3", "next season")."""
        return any(
            token.forms & self._periods[reading_lang]
            for reading_lang in languages_from(lang)
            for token in self._lemmatizer.tokens(text, reading_lang)
        )

    # -- budgets --------------------------------------------------------------------------------
    def budget(self, text: str, lang: str) -> BudgetReading:
        """The amount in a budget answer ("50 tys. zł", "$20,000", "1,5 mln")."""
        if _SCIENTIFIC.search(text):
            return BudgetReading("unreadable")
        match = self._amount_match(text, lang)
        if match is None:
            return BudgetReading("no_amount")
        value, end = _number_value(match.group("digits"), match.start("digits"))
        if value is None:
            return BudgetReading("unreadable")
        sign = match.group("sign")
        if sign and (match.start() == 0 or not text[match.start() - 1].isalnum()):
            return BudgetReading("negative")
        range_end = _RANGE_REST.match(text, end)  # "10-20 tys.": the multiplier follows the range
        if range_end:
            end = range_end.end()
        rest_tokens = self._lemmatizer.tokens(text[end:end + 24], lang)
        if rest_tokens:
            first = rest_tokens[0].forms
            if any(first & self._periods[other] for other in languages_from(lang)):
                return BudgetReading("no_amount")  # "3 lata" is a time, not money
            for other in languages_from(lang):
                factor = next((v for words, v in self._multipliers[other] if words & first), None)
                if factor:
                    value *= factor
                    break
        if value == 0:
            return BudgetReading("zero")
        if value > _MAX_AMOUNT:
            return BudgetReading("too_large")
        return BudgetReading("amount", amount=value, currency=self._currency(text, lang))

    def _amount_match(self, text: str, lang: str) -> Optional["re.Match"]:
        """The first number that is not a goal number ("cel 2", "goal #1")."""
        for match in _NUMBER.finditer(text):
            before = self._lemmatizer.tokens(text[max(0, match.start() - 24): match.start()], lang)
            if before and before[-1].forms & self._goal_words[lang] and not match.group("sign"):
                continue
            return match
        return None

    def _currency(self, text: str, lang: str) -> Optional[str]:
        for code, _words, symbols in self._currencies:
            if any(symbol in text for symbol in symbols):
                return code
        for reading_lang in languages_from(lang):
            forms = [t.forms for t in self._lemmatizer.tokens(text, reading_lang)]
            for code, words in self._currency_forms[reading_lang]:
                if any(words & f for f in forms):
                    return code
        return None

    # -- helpers --------------------------------------------------------------------------------
    def _forms(self, word: str, lang: str) -> FrozenSet[str]:
        return self._lemmatizer.forms(word, lang)

    def _phrase(self, phrase: str, lang: str) -> Tuple[FrozenSet[str], ...]:
        """A separator's words as written (folded): "celem" must not match the word "cel"."""
        return tuple(frozenset({fold(t.text)}) for t in self._lemmatizer.tokens(phrase, lang))


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _number_value(digits: str, start: int) -> Tuple[Optional[float], int]:
    """The value of a written number and where it ends; thousands separators are told from a
    decimal point by the groups of three digits after them ("1,500" vs "1,5")."""
    parts = re.split(r"([ \u00a0\u202f.,'])", digits)
    groups, seps = parts[0::2], parts[1::2]
    # A space is a thousands separator only before exactly three digits; otherwise the number ends.
    for i, sep in enumerate(seps):
        if sep in " \u00a0\u202f" and len(groups[i + 1]) != 3:
            groups, seps = groups[: i + 1], seps[:i]
            break
    decimal: Optional[str] = None
    if seps:
        last = seps[-1]
        if last in ".," and (len(groups[-1]) != 3 or (len(set(seps)) > 1 and seps.count(last) == 1)):
            decimal = last
    integer_groups = groups[:-1] if decimal else groups
    integer_seps = seps[:-1] if decimal else seps
    if any(len(g) != 3 for g in integer_groups[1:]) and integer_seps:
        return None, start + len(digits)
    text = "".join(integer_groups) + ("." + groups[-1] if decimal else "")
    length = len("".join(g + s for g, s in zip(groups, seps + [""])))
    try:
        return float(text), start + length
    except ValueError:
        return None, start + length


@functools.lru_cache(maxsize=1)
def _folded_stop_words() -> FrozenSet[str]:
    """spaCy's Polish and English stop words, folded."""
    return frozenset(fold(w) for w in stop_words("en") | stop_words("pl"))
