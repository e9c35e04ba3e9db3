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

import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from knowledge import LANGUAGES
from knowledge.schema import SIGNAL_PLANS, Rules
from knowledge.validation import Context, Problem, check
from language import languages_from
from language.folding import fold
from language.lemmatizer import Lemmatizer
from language.matcher import TermMatcher

OUTSIDE = "outside"

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


class RulesError(ValueError):
    """The classifier rules are invalid; `problems` says where and why."""

    def __init__(self, problems: List[Problem]) -> None:
        super().__init__("invalid classifier rules:\n" + "\n".join(str(p) for p in problems))
        self.problems = problems


def validate_rules(doc: Any, section_ids: Optional[Set[str]] = None) -> List[Problem]:
    """Every problem in the classifier rules `doc` (empty when they are valid).

    `doc` is the parsed rule file (ruamel round-trip data gives line numbers; plain dicts give
    none). `section_ids` are the guide's section ids; None skips the section check.
    """
    sections = {str(s): "" for s in section_ids} if section_ids is not None else None
    return check(Rules, doc, ctx=Context(sections=sections))[1]


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
    """A signal named as the means to the goal ("through new hires"): it adds no points."""
    after_means: bool = False
    """Found within reach after a `means` phrase ("… through a social media campaign")."""


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
        ignore, means = rules.get("ignore") or {}, rules.get("means") or {}
        self._term_lists = {
            lang: {"signal": by_language[lang], "ignore": {"ignore": {lang: [str(p) for p in ignore.get(lang) or []]}},
                   "means": {"means": {lang: [str(p) for p in means.get(lang) or []]}}}
            for lang in LANGUAGES
        }
        # Built on first use per language: lemmatising every term of both languages would make
        # `advisor classify` of one goal build the other language's tokenizer too.
        self._matchers: Dict[str, TermMatcher] = {}
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

    def _matcher(self, lang: str) -> TermMatcher:
        matcher = self._matchers.get(lang)
        if matcher is None:
            terms = self._term_lists[lang]
            if lang == "pl":
                self._add_polish_forms(terms["signal"], terms["ignore"]["ignore"]["pl"])
            matcher = self._matchers[lang] = TermMatcher(terms, self._lemmatizer, max_gap=TERM_GAP)
        return matcher

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
        hits = self._means_of_a_measure(self._find(text, lang))
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

    def _means_of_a_measure(self, hits: Dict[str, _Hit]) -> Dict[str, _Hit]:
        """A plan's signal after a `means` phrase is how the goal is reached, not what it is
        about, when the goal names what it measures before that phrase: "gain 50 new customers
        through a social media campaign" is a goal of winning customers. Horizons are left
        alone (they only support), and so is a goal that names no measure before the phrase.
        """
        measured_from = min(
            (h.start for h in hits.values()
             if not h.after_means and self._signals[h.signal].dimension == "measure"
             and self._signals[h.signal].plan != OUTSIDE),
            default=None,
        )
        if measured_from is None:
            return hits
        out: Dict[str, _Hit] = {}
        for signal_id, hit in hits.items():
            signal = self._signals[signal_id]
            if (hit.after_means and not hit.means and hit.start > measured_from
                    and signal.plan != OUTSIDE and signal.dimension != self._supports_only):
                hit = _Hit(hit.signal, hit.start, hit.end, hit.text, means=True, after_means=True)
            out[signal_id] = hit
        return out

    # -- decision -----------------------------------------------------------------------------
    def _decide(self, hits: Mapping[str, _Hit], scores: Mapping[str, float]) -> Tuple[str, Set[str]]:
        sales, marketing, outside = scores["sales"], scores["marketing"], scores[OUTSIDE]
        top = max(sales, marketing)
        if top < self._min_score or top <= 0:
            return "unclear", {OUTSIDE}
        if outside >= top:
            return "unclear", {OUTSIDE}
        needed = {
            self._signals[s].plan for s, hit in hits.items()
            if self._signals[s].dimension == self._both_needs and not hit.means
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
        for pass_lang in languages_from(lang):
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
        matches = self._matcher(lang).find(text, lang)
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
                after_means = any(_within_reach(text[end : match.start]) for end in means if end <= match.start)
                is_means = after_means and self._signals[match.target].plan == OUTSIDE
                hits.append(_Hit(match.target, match.start, match.end, match.text,
                                 means=is_means, after_means=after_means))
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
        return self._lemmatizer.forms(word, lang)

    def _durations(self, text: str, lang: str) -> Iterable[Tuple[int, int, float]]:
        """(start, end, months) of each "number + unit" in `text` ("3 lata", "a couple of years")."""
        words = self._duration_words[lang]
        if not words.units:
            return []
        tokens = self._lemmatizer.tokens(text, lang)
        found = []
        for i, token in enumerate(tokens):
            forms = token.forms
            unit = next((u for u in words.units if u.forms & forms), None)
            if unit is None:
                continue
            j, cursor = i - 1, token.start
            if j >= 0 and _GAP.fullmatch(text[tokens[j].end : cursor]) and tokens[j].forms & words.fillers:
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
                number_forms = tokens[j].forms
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


def _overlaps(start: int, end: int, spans: Iterable[Tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def _optional_float(value: Any) -> Optional[float]:
    return float(value) if value is not None else None


def classifier_from_repository(repository: Any, lemmatizer: Lemmatizer) -> GoalClassifier:
    """The classifier built from the rules loaded in the knowledge base.

    Raises KnowledgeBaseEmpty when no rules are loaded (run `advisor kb load`).
    """
    from knowledge.repository import KnowledgeBaseEmpty

    rules = repository.document("classifier")
    if rules is None:
        raise KnowledgeBaseEmpty("the knowledge base has no classifier rules; run `advisor kb load`")
    return GoalClassifier(rules, lemmatizer)
