"""The goal classifier: sorts a business goal into the sales plan or the marketing plan.

A transparent, rules-based advisor. The rules are data (`knowledge/content/classifier.yml`,
loaded into the knowledge base): signals matched on lemmas, each with a weight, the plan it
points to and the guide section it rests on. The verdict is the sum of the weights of the
signals found, turned into `sales`, `marketing`, `both` or `unclear` by the thresholds of the
rule file's `decision` block; the reasons are the texts of the signals found. The same text
always gives the same answer: no randomness, no state between calls, stable orderings.

Terms of both languages are tried on every goal (each with its own language's lemmas), so a
goal written in the other language than the conversation still matches.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from knowledge import LANGUAGES
from language.folding import fold
from language.lemmatizer import Lemmatizer, Token
from language.matcher import TermMatcher

DIMENSIONS = ("measure", "horizon", "tool", "team", "scope")
SIGNAL_PLANS = ("sales", "marketing", "outside")
VERDICTS = ("sales", "marketing", "both", "unclear")
OUTSIDE = "outside"

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_SIGNAL_KEYS = ("id", "dimension", "plan", "weight", "section", "terms", "duration", "reason")
_TOP_KEYS = ("signals", "ignore", "means", "durations", "decision")
_DECISION_KEYS = ("min_score", "both_needs", "both_min_ratio", "min_lead", "supports_only")
_DURATION_BOUNDS = ("up_to_months", "over_months")
_DURATIONS_KEYS = ("units", "plural_counts_as", "max_count", "fillers", "numbers")
_UNIT_KEYS = ("id", "months", "plural") + LANGUAGES
# A number written in digits right before a unit ("3 lata", "3-letni", "2–3 years", "1,5 roku"),
# not glued to a word ("Q3 2025") and not followed by anything but spaces or a dash ("20% rok").
_DIGITS_BEFORE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*[-–]?\s*$")
_GAP = re.compile(r"[\s\-–]*")
_MAX_MATCH_CHARS = 60
# An outside signal at most this many words after a `means` phrase ("through new hires") is the
# means to the goal, not the goal; a comma or the end of a sentence ends the reach.
MEANS_REACH = 2
_WORD = re.compile(r"\w+")
_CLAUSE_BREAK = re.compile(r"[,.!?;:\n]")
# A term of several words also matches with up to this many other words between two of its
# words ("wprowadzić 3 nowe, rewolucyjne produkty" for "wprowadzić nowy produkt"). Chosen on the
# real goals' train and dev splits and the self-written goals (bench/real_goals.py): 0 misses a
# verb split from its object; 2 already joins words that do not belong together ("nowych umów
# z klientami" read as "nowy klient").
TERM_GAP = 1


# ---- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleProblem:
    line: Optional[int]
    """1-based line in the rule file, when the rules were read with line numbers."""
    entry: Optional[str]
    """The signal id (or the block name) the problem is in."""
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.entry + ': ' if self.entry else ''}{self.reason}"


class RulesError(ValueError):
    """The classifier rules are invalid; `problems` says where and why."""

    def __init__(self, problems: List[RuleProblem]) -> None:
        super().__init__("invalid classifier rules:\n" + "\n".join(str(p) for p in problems))
        self.problems = problems


def _line(node: Any, key: Any = None) -> Optional[int]:
    """The 1-based line of `node` (or of its `key`), when it came from ruamel's round-trip loader."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None and isinstance(node, Mapping) and key in node:
            return lc.key(key)[0] + 1
        if key is not None and isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            return lc.item(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return lc.line + 1 if lc.line is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class _Validator:
    def __init__(self, section_ids: Optional[Set[str]]) -> None:
        self.section_ids = {str(s) for s in section_ids} if section_ids is not None else None
        self.problems: List[RuleProblem] = []

    def add(self, node: Any, entry: Optional[str], reason: str, key: Any = None) -> None:
        self.problems.append(RuleProblem(_line(node, key), entry, reason))

    def unknown_keys(self, node: Mapping, allowed: Sequence[str], entry: Optional[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.add(node, entry, f"unknown key '{key}' in {what} (expected {', '.join(allowed)})", key)

    def phrase_lists(self, node: Any, parent: Any, key: str, entry: Optional[str], what: str,
                     required: bool = True, single_words: bool = False) -> Dict[str, List[str]]:
        """A mapping language -> list of phrases; every language required unless `required` is False."""
        if not isinstance(node, Mapping):
            self.add(parent, entry, f"'{key}' must map each language ({', '.join(LANGUAGES)}) to a list of {what}", key)
            return {}
        result: Dict[str, List[str]] = {}
        for lang in LANGUAGES:
            phrases = node.get(lang)
            if phrases is None and not required:
                continue
            if not isinstance(phrases, list) or not phrases:
                if lang in node:
                    self.add(node, entry, f"'{key}' needs a non-empty list of {lang} {what}", lang)
                else:
                    self.add(parent, entry, f"'{key}' has no {lang} {what}", key)
                continue
            good = []
            for position, phrase in enumerate(phrases):
                if not _is_text(phrase):
                    self.add(phrases, entry, f"'{key}' has an empty or non-text {lang} item", position)
                elif single_words and len(phrase.split()) != 1:
                    self.add(phrases, entry, f"'{key}': {lang} item '{phrase}' must be a single word", position)
                else:
                    good.append(phrase.strip())
            result[lang] = good
        for extra in node:
            if extra not in LANGUAGES:
                self.add(node, entry, f"'{key}' has an unknown language '{extra}'", extra)
        return result

    def texts(self, node: Any, parent: Any, key: str, entry: Optional[str]) -> None:
        if not isinstance(node, Mapping):
            self.add(parent, entry, f"'{key}' must map each language ({', '.join(LANGUAGES)}) to a text", key)
            return
        for lang in LANGUAGES:
            if lang not in node:
                self.add(parent, entry, f"'{key}' has no {lang} text", key)
            elif not _is_text(node.get(lang)):
                self.add(node, entry, f"'{key}' has an empty {lang} text", lang)
        for extra in node:
            if extra not in LANGUAGES:
                self.add(node, entry, f"'{key}' has an unknown language '{extra}'", extra)

    def number(self, node: Mapping, key: str, entry: Optional[str], minimum: float = 0.0,
               strict: bool = False, maximum: Optional[float] = None) -> Optional[float]:
        value = node.get(key)
        bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
        if maximum is not None:
            bound += f" and at most {maximum:g}"
        if not _is_number(value) or (value <= minimum if strict else value < minimum) or (
            maximum is not None and value > maximum
        ):
            shown = "missing" if value is None else repr(value)
            self.add(node, entry, f"'{key}' must be a number {bound} (got {shown})", key if key in node else None)
            return None
        return float(value)


def validate_rules(doc: Any, section_ids: Optional[Set[str]] = None) -> List[RuleProblem]:
    """Every problem in the classifier rules `doc` (empty when they are valid).

    `doc` is the parsed rule file (ruamel round-trip data gives line numbers; plain dicts give
    none). `section_ids` are the guide's section ids; None skips the section check.
    """
    v = _Validator(section_ids)
    if not isinstance(doc, Mapping):
        v.add(doc, None, "the rules must be a mapping with 'signals', 'durations' and 'decision'")
        return v.problems
    v.unknown_keys(doc, _TOP_KEYS, None, "the rule file")

    signals = doc.get("signals")
    needs_durations = False
    if not isinstance(signals, list) or not signals:
        v.add(doc, "signals", "'signals' must be a non-empty list", "signals" if "signals" in doc else None)
    else:
        seen_ids: Dict[str, Optional[int]] = {}
        seen_terms: Dict[Tuple[str, str], str] = {}
        for position, node in enumerate(signals):
            needs_durations |= _validate_signal(v, signals, position, node, seen_ids, seen_terms)

    if "ignore" in doc:
        v.phrase_lists(doc.get("ignore"), doc, "ignore", "ignore", "phrases", required=False)
    if "means" in doc:
        v.phrase_lists(doc.get("means"), doc, "means", "means", "phrases", required=False)

    if "durations" in doc or needs_durations:
        _validate_durations(v, doc)

    decision = doc.get("decision")
    if not isinstance(decision, Mapping):
        v.add(doc, "decision", "'decision' must be a mapping of thresholds", "decision" if "decision" in doc else None)
    else:
        v.unknown_keys(decision, _DECISION_KEYS, "decision", "'decision'")
        v.number(decision, "min_score", "decision")
        v.number(decision, "both_min_ratio", "decision", maximum=1.0)
        v.number(decision, "min_lead", "decision")
        if decision.get("both_needs") not in DIMENSIONS:
            v.add(decision, "decision", f"'both_needs' must be one of {', '.join(DIMENSIONS)}",
                  "both_needs" if "both_needs" in decision else None)
        if "supports_only" in decision and decision.get("supports_only") not in DIMENSIONS:
            v.add(decision, "decision", f"'supports_only' must be one of {', '.join(DIMENSIONS)}", "supports_only")
    return v.problems


def _validate_signal(v: _Validator, signals: list, position: int, node: Any,
                     seen_ids: Dict[str, Optional[int]], seen_terms: Dict[Tuple[str, str], str]) -> bool:
    """Check one signal; returns whether it is a duration signal."""
    if not isinstance(node, Mapping):
        v.add(signals, None, f"signal #{position + 1} must be a mapping", position)
        return False
    signal_id = node.get("id")
    entry: Optional[str] = None
    if not isinstance(signal_id, str) or not _SNAKE.match(signal_id):
        v.add(node, None, f"signal #{position + 1} needs an 'id' in snake_case (got {signal_id!r})",
              "id" if "id" in node else None)
    else:
        entry = signal_id
        if signal_id in seen_ids:
            first = seen_ids[signal_id]
            v.add(node, entry, "duplicate signal id" + (f" (first defined on line {first})" if first else ""), "id")
        else:
            seen_ids[signal_id] = _line(node)
    v.unknown_keys(node, _SIGNAL_KEYS, entry, "a signal")
    if node.get("dimension") not in DIMENSIONS:
        v.add(node, entry, f"'dimension' must be one of {', '.join(DIMENSIONS)} (got {node.get('dimension')!r})",
              "dimension" if "dimension" in node else None)
    if node.get("plan") not in SIGNAL_PLANS:
        v.add(node, entry, f"'plan' must be one of {', '.join(SIGNAL_PLANS)} (got {node.get('plan')!r})",
              "plan" if "plan" in node else None)
    v.number(node, "weight", entry, minimum=0.0, strict=True)
    section = node.get("section")
    if section is None or (isinstance(section, str) and not section.strip()) or isinstance(section, (bool, list, dict)):
        v.add(node, entry, "'section' must name a guide section", "section" if "section" in node else None)
    elif v.section_ids is not None and str(section) not in v.section_ids:
        v.add(node, entry, f"unknown section {str(section)!r} (expected one of {', '.join(sorted(v.section_ids))})", "section")
    v.texts(node.get("reason"), node, "reason", entry)

    has_terms, has_duration = "terms" in node, "duration" in node
    if has_terms == has_duration:
        v.add(node, entry, "a signal needs either 'terms' or 'duration' (not both)")
        return has_duration
    if has_terms:
        terms = v.phrase_lists(node.get("terms"), node, "terms", entry, "terms")
        for lang, phrases in terms.items():
            for phrase in phrases:
                key = (lang, " ".join(fold(phrase).split()))
                owner = seen_terms.setdefault(key, entry or f"#{position + 1}")
                if owner != (entry or f"#{position + 1}"):
                    v.add(node.get("terms"), entry, f"{lang} term '{phrase}' is also a term of signal '{owner}'", lang)
        return False
    duration = node.get("duration")
    if not isinstance(duration, Mapping):
        v.add(node, entry, f"'duration' must be a mapping with one of {', '.join(_DURATION_BOUNDS)}", "duration")
        return True
    v.unknown_keys(duration, _DURATION_BOUNDS, entry, "'duration'")
    bounds = [key for key in _DURATION_BOUNDS if key in duration]
    if len(bounds) != 1:
        v.add(duration, entry, f"'duration' needs exactly one of {', '.join(_DURATION_BOUNDS)}")
    for key in bounds:
        v.number(duration, key, entry)
    return True


def _validate_durations(v: _Validator, doc: Mapping) -> None:
    durations = doc.get("durations")
    entry = "durations"
    if not isinstance(durations, Mapping):
        v.add(doc, entry, "'durations' (units and number words) is needed by the duration signals",
              "durations" if "durations" in doc else None)
        return
    v.unknown_keys(durations, _DURATIONS_KEYS, entry, "'durations'")
    units = durations.get("units")
    if not isinstance(units, list) or not units:
        v.add(durations, entry, "'units' must be a non-empty list", "units" if "units" in durations else None)
    else:
        for position, unit in enumerate(units):
            if not isinstance(unit, Mapping):
                v.add(units, entry, f"unit #{position + 1} must be a mapping", position)
                continue
            where = f"durations.{unit.get('id')}" if _is_text(unit.get("id")) else entry
            v.unknown_keys(unit, _UNIT_KEYS, where, "a unit")
            if not _is_text(unit.get("id")):
                v.add(unit, entry, f"unit #{position + 1} needs an 'id'")
            v.number(unit, "months", where, strict=True)
            for lang in LANGUAGES:
                unit_words = unit.get(lang)
                if not isinstance(unit_words, list) or not unit_words:
                    v.add(unit, where, f"a unit needs a non-empty list of {lang} words", lang if lang in unit else None)
                    continue
                for word_position, word in enumerate(unit_words):
                    if not _is_text(word) or len(word.split()) != 1:
                        v.add(unit_words, where, f"{lang} unit word {word!r} must be a single word", word_position)
            if "plural" in unit:
                v.phrase_lists(unit.get("plural"), unit, "plural", where, "plural forms", required=False,
                               single_words=True)
    v.number(durations, "plural_counts_as", entry, strict=True)
    v.number(durations, "max_count", entry, strict=True)
    if "fillers" in durations:
        v.phrase_lists(durations.get("fillers"), durations, "fillers", entry, "words", required=False,
                       single_words=True)
    numbers = durations.get("numbers")
    if not isinstance(numbers, Mapping):
        v.add(durations, entry, "'numbers' must map each language to {word: value}", "numbers" if "numbers" in durations else None)
        return
    for lang in LANGUAGES:
        words = numbers.get(lang)
        if not isinstance(words, Mapping) or not words:
            v.add(numbers, entry, f"'numbers' needs {lang} number words", lang if lang in numbers else None)
            continue
        for word in words:
            if not _is_text(word) or len(str(word).split()) != 1:
                v.add(words, entry, f"{lang} number word {word!r} must be a single word", word)
            else:
                v.number(words, word, entry, strict=True)
    for extra in numbers:
        if extra not in LANGUAGES:
            v.add(numbers, entry, f"'numbers' has an unknown language '{extra}'", extra)


# ---- classification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    plan: str
    """"sales", "marketing", "both" or "unclear"."""
    reasons: List[Dict[str, str]]
    """One {signal, plan, section, text} per signal found; those behind the verdict first."""
    language: str
    scores: Dict[str, float] = field(default_factory=dict)
    """Points per plan ("sales", "marketing", "outside"): for debugging, not part of the JSON."""

    def to_json(self) -> Dict[str, Any]:
        return {"plan": self.plan, "reasons": [dict(reason) for reason in self.reasons], "language": self.language}


@dataclass(frozen=True)
class _Signal:
    id: str
    dimension: str
    plan: str
    weight: float
    section: str
    reason: Mapping[str, str]
    up_to_months: Optional[float] = None
    over_months: Optional[float] = None

    def fits(self, months: float) -> bool:
        if self.up_to_months is not None:
            return months <= self.up_to_months
        if self.over_months is not None:
            return months > self.over_months
        return False


@dataclass(frozen=True)
class _Unit:
    months: float
    forms: FrozenSet[str]
    plural: FrozenSet[str]


@dataclass(frozen=True)
class _DurationWords:
    units: Tuple[_Unit, ...]
    numbers: Tuple[Tuple[FrozenSet[str], float], ...]
    fillers: FrozenSet[str]


@dataclass(frozen=True)
class _Hit:
    signal: str
    start: int
    end: int
    text: str
    means: bool = False
    """An outside signal named as the means to the goal ("through new hires"): it adds no points."""


class GoalClassifier:
    """Classifies goals with the rules of the knowledge base. Build once; `classify` is pure."""

    def __init__(self, rules: Mapping[str, Any], lemmatizer: Lemmatizer) -> None:
        problems = validate_rules(rules, None)
        if problems:
            raise RulesError(problems)
        self._lemmatizer = lemmatizer
        self._signals: Dict[str, _Signal] = {}
        self._order: Dict[str, int] = {}
        by_language: Dict[str, Dict[str, Dict[str, List[str]]]] = {lang: {} for lang in LANGUAGES}
        for position, node in enumerate(rules["signals"]):
            duration = node.get("duration") or {}
            signal = _Signal(
                id=node["id"],
                dimension=node["dimension"],
                plan=node["plan"],
                weight=float(node["weight"]),
                section=str(node["section"]),
                reason={lang: str(node["reason"][lang]).strip() for lang in LANGUAGES},
                up_to_months=_optional_float(duration.get("up_to_months")),
                over_months=_optional_float(duration.get("over_months")),
            )
            self._signals[signal.id] = signal
            self._order[signal.id] = position
            for lang, phrases in (node.get("terms") or {}).items():
                by_language[lang][signal.id] = {lang: [str(p) for p in phrases]}
        ignore = rules.get("ignore") or {}
        self._add_polish_forms(by_language["pl"], [str(p) for p in ignore.get("pl") or []])
        means = rules.get("means") or {}
        self._matchers = {
            lang: TermMatcher(
                {"signal": by_language[lang], "ignore": {"ignore": {lang: [str(p) for p in ignore.get(lang) or []]}},
                 "means": {"means": {lang: [str(p) for p in means.get(lang) or []]}}},
                lemmatizer,
                max_gap=TERM_GAP,
            )
            for lang in LANGUAGES
        }
        self._duration_signals = [s for s in self._signals.values() if s.up_to_months is not None or s.over_months is not None]
        durations = rules.get("durations") or {}
        self._plural_counts_as = float(durations.get("plural_counts_as", 2))
        self._max_count = float(durations.get("max_count", 999))
        self._duration_words = {lang: self._duration_vocabulary(durations, lang) for lang in LANGUAGES}
        decision = rules["decision"]
        self._min_score = float(decision["min_score"])
        self._both_needs = str(decision["both_needs"])
        self._both_min_ratio = float(decision["both_min_ratio"])
        self._min_lead = float(decision["min_lead"])
        self._supports_only: Optional[str] = decision.get("supports_only")

    def _add_polish_forms(self, terms: Dict[str, Dict[str, List[str]]], ignored: List[str]) -> None:
        """Polish forms the term lists leave out: the adverb of a one-word adjective term
        ("lojalny" -> "lojalnie") and the noun-first order of an adjective-noun term
        ("powracający klient" -> "klient powracający").

        No adverbs for horizon signals: there the adverb is a rate ("miesięcznie" = per month),
        not a horizon. A form that is already a term or an ignored phrase is left where it is.
        """
        from language.adverbs import polish_adverbs, polish_noun_first

        known = {fold(p) for by_lang in terms.values() for p in by_lang["pl"]} | {fold(p) for p in ignored}
        for signal_id, by_lang in terms.items():
            horizon = self._signals[signal_id].dimension == "horizon"
            for phrase in list(by_lang["pl"]):
                forms = list(polish_adverbs(phrase)) if not horizon else []
                reordered = polish_noun_first(phrase)
                if reordered:
                    forms.append(reordered)
                for form in forms:
                    if fold(form) not in known:
                        known.add(fold(form))
                        by_lang["pl"].append(form)

    # -- public -------------------------------------------------------------------------------
    def classify(self, text: Optional[str], lang: str) -> Classification:
        """The verdict for the goal `text`, with reasons written in `lang` ("pl" or "en")."""
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r} (expected one of {', '.join(LANGUAGES)})")
        text = text if isinstance(text, str) else ""
        hits = self._find(text, lang)
        scores = {plan: 0.0 for plan in SIGNAL_PLANS}
        for signal_id, hit in hits.items():
            signal = self._signals[signal_id]
            if not hit.means:
                scores[signal.plan] += signal.weight
        verdict, backing = self._decide(hits, scores)
        # The signals behind the verdict first, strongest first; then the others in text order.
        ordered = sorted(
            hits.values(),
            key=lambda h: (
                self._signals[h.signal].plan not in backing,
                -self._signals[h.signal].weight if self._signals[h.signal].plan in backing else 0.0,
                h.start,
                self._order[h.signal],
            ),
        )
        reasons = [self._reason(hit, lang) for hit in ordered]
        return Classification(plan=verdict, reasons=reasons, language=lang,
                              scores={plan: round(score, 6) for plan, score in scores.items()})

    # -- decision -----------------------------------------------------------------------------
    def _decide(self, hits: Mapping[str, _Hit], scores: Mapping[str, float]) -> Tuple[str, Set[str]]:
        sales, marketing, outside = scores["sales"], scores["marketing"], scores[OUTSIDE]
        top = max(sales, marketing)
        if top < self._min_score or top <= 0:
            return "unclear", {OUTSIDE}
        if outside >= top:
            return "unclear", {OUTSIDE}
        needed = {
            self._signals[s].plan for s in hits if self._signals[s].dimension == self._both_needs
        }
        if {"sales", "marketing"} <= needed and min(sales, marketing) >= self._both_min_ratio * top:
            return "both", {"sales", "marketing"}
        if self._supports_only:
            # The other signals decide between the plans when they lead clearly on their own;
            # the `supports_only` ones (the horizon) add to them and break their ties.
            own = {"sales": 0.0, "marketing": 0.0}
            for signal_id, hit in hits.items():
                signal = self._signals[signal_id]
                if signal.plan in own and signal.dimension != self._supports_only and not hit.means:
                    own[signal.plan] += signal.weight
            if abs(own["sales"] - own["marketing"]) >= self._min_lead:
                winner = "sales" if own["sales"] > own["marketing"] else "marketing"
                return winner, {winner}
        if abs(sales - marketing) < self._min_lead:
            return "unclear", set()
        winner = "sales" if sales > marketing else "marketing"
        return winner, {winner}

    def _reason(self, hit: _Hit, lang: str) -> Dict[str, str]:
        signal = self._signals[hit.signal]
        shown = " ".join(hit.text.split())
        if len(shown) > _MAX_MATCH_CHARS:
            shown = shown[: _MAX_MATCH_CHARS - 1].rstrip() + "…"
        return {
            "signal": signal.id,
            "plan": signal.plan,
            "section": signal.section,
            "text": signal.reason[lang].replace("{match}", shown),
        }

    # -- matching -----------------------------------------------------------------------------
    def _find(self, text: str, lang: str) -> Dict[str, _Hit]:
        """The first hit of each signal found, the goal's language read first."""
        taken: List[Tuple[int, int]] = []
        hits: List[_Hit] = []
        for pass_lang in (lang,) + tuple(other for other in LANGUAGES if other != lang):
            found, blocked = self._find_in(text, pass_lang)
            for start, end in blocked:
                if not _overlaps(start, end, taken):
                    taken.append((start, end))
            for hit in found:
                if not _overlaps(hit.start, hit.end, taken):
                    hits.append(hit)
            taken.extend((hit.start, hit.end) for hit in found)
        first: Dict[str, _Hit] = {}
        for hit in sorted(hits, key=lambda h: (h.start, h.end, self._order[h.signal])):
            first.setdefault(hit.signal, hit)
        return first

    def _find_in(self, text: str, lang: str) -> Tuple[List[_Hit], List[Tuple[int, int]]]:
        """Hits read with `lang`'s lemmas and terms, and the spans of ignored phrases."""
        if not text.strip():
            return [], []
        matches = self._matchers[lang].find(text, lang)
        ignored = [(m.start, m.end) for m in matches if m.kind == "ignore"]
        hits: List[_Hit] = []
        spans: List[Tuple[int, int]] = list(ignored)
        for start, end, months in self._durations(text, lang):
            if _overlaps(start, end, spans):
                continue
            fitting = [s for s in self._duration_signals if s.fits(months)]
            for signal in fitting:
                hits.append(_Hit(signal.id, start, end, text[start:end]))
            if fitting:
                spans.append((start, end))
        means = [m.end for m in matches if m.kind == "means"]
        for match in matches:
            if match.kind == "signal" and not _overlaps(match.start, match.end, spans):
                is_means = self._signals[match.target].plan == OUTSIDE and any(
                    _within_reach(text[end : match.start]) for end in means if end <= match.start
                )
                hits.append(_Hit(match.target, match.start, match.end, match.text, means=is_means))
        return hits, ignored

    def _duration_vocabulary(self, durations: Mapping[str, Any], lang: str) -> _DurationWords:
        units = tuple(
            _Unit(
                months=float(unit["months"]),
                forms=frozenset().union(*(self._forms(word, lang) for word in unit.get(lang) or [])),
                plural=frozenset(fold(str(word)) for word in (unit.get("plural") or {}).get(lang) or []),
            )
            for unit in durations.get("units") or []
        )
        numbers = tuple(
            (self._forms(str(word), lang), float(value))
            for word, value in ((durations.get("numbers") or {}).get(lang) or {}).items()
        )
        fillers = frozenset().union(*(self._forms(str(w), lang) for w in (durations.get("fillers") or {}).get(lang) or []))
        return _DurationWords(units, numbers, fillers)

    def _forms(self, word: str, lang: str) -> FrozenSet[str]:
        return frozenset().union(*(_token_forms(t) for t in self._lemmatizer.tokens(str(word), lang)))

    def _durations(self, text: str, lang: str) -> Iterable[Tuple[int, int, float]]:
        """(start, end, months) of each "number + unit" in `text` ("3 lata", "a couple of years")."""
        words = self._duration_words[lang]
        if not words.units:
            return []
        tokens = self._lemmatizer.tokens(text, lang)
        found = []
        for i, token in enumerate(tokens):
            forms = _token_forms(token)
            unit = next((u for u in words.units if u.forms & forms), None)
            if unit is None:
                continue
            j, cursor = i - 1, token.start
            if j >= 0 and _GAP.fullmatch(text[tokens[j].end : cursor]) and _token_forms(tokens[j]) & words.fillers:
                cursor = tokens[j].start
                j -= 1
            count: Optional[float] = None
            start = token.start
            window_start = max(0, cursor - 32)
            digits = _DIGITS_BEFORE.search(text[window_start:cursor])
            if digits:
                count = float(digits.group(1).replace(",", "."))
                start = window_start + digits.start(1)
            elif j >= 0 and _GAP.fullmatch(text[tokens[j].end : cursor]):
                number_forms = _token_forms(tokens[j])
                value = next((v for f, v in words.numbers if f & number_forms), None)
                if value is not None:
                    count, start = value, tokens[j].start
            if count is None and fold(token.text) in unit.plural:
                count, start = self._plural_counts_as, token.start
            if count is None or count <= 0 or count > self._max_count:
                continue
            found.append((start, token.end, count * unit.months))
        return found


def _within_reach(between: str) -> bool:
    """Whether a signal this text after a `means` phrase is still in its reach."""
    return not _CLAUSE_BREAK.search(between) and len(_WORD.findall(between)) <= MEANS_REACH


def _token_forms(token: Token) -> FrozenSet[str]:
    return token.lemmas | {fold(token.text)}


def _overlaps(start: int, end: int, spans: Iterable[Tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def _optional_float(value: Any) -> Optional[float]:
    return float(value) if _is_number(value) else None


def classifier_from_repository(repository: Any, lemmatizer: Lemmatizer) -> GoalClassifier:
    """The classifier built from the rules loaded in the knowledge base.

    Raises KnowledgeBaseEmpty when no rules are loaded (run `advisor kb load`).
    """
    from knowledge.repository import KnowledgeBaseEmpty

    rules = repository.document("classifier")
    if rules is None:
        raise KnowledgeBaseEmpty("the knowledge base has no classifier rules; run `advisor kb load`")
    return GoalClassifier(rules, lemmatizer)
