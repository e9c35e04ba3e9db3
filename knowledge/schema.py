"""The content files of `knowledge/content/`, described once as pydantic models.

`knowledge.validation.check` validates a parsed file against its model and reports each
problem with its file, line and entry. A new kind of content (a new rule block of
classifier.yml, a new label) is a new field here: the model rejects keys it does not know.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, Type

from pydantic import BaseModel, conlist, create_model, root_validator, validator

from knowledge import ASPECTS, LANGUAGES, PLAN_VIEWS, PLANS
from knowledge.validation import Invalid, context
from language.folding import fold


class Strict(BaseModel):
    class Config:
        extra = "forbid"


# ---- values ------------------------------------------------------------------------------------


class _Value(str):
    """A text value checked (and normalised) by its class's `validate`."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate


class Text(_Value):
    """A non-empty text, stripped."""

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty text")
        return value.strip()


class Id(_Value):
    """An id written as text or as a number (section "6" or 6)."""

    @classmethod
    def validate(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            raise ValueError(f"must be an id (got {value!r})")
        return str(value).strip()


class Snake(_Value):
    _pattern = re.compile(r"^[a-z][a-z0-9_]*$")

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str) or not cls._pattern.match(value):
            raise ValueError(f"must be in snake_case (got {value!r})")
        return value


class Word(_Value):
    """A single word."""

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str) or len(value.split()) != 1:
            raise ValueError(f"item {value!r} must be a single word")
        return value.strip()


class SectionRef(Id):
    """The id of one of the guide's sections (sections.yml)."""

    @classmethod
    def validate(cls, value: Any) -> str:
        section = Id.validate(value)
        known = context().sections
        if known is not None and section not in known:
            raise Invalid(f"unknown section {section!r}")
        return section


def number(gt: Optional[float] = None, ge: Optional[float] = None, le: Optional[float] = None) -> Type[float]:
    """A finite number (not a boolean, not a text) within the bounds."""
    bounds = [f"greater than {gt:g}" if gt is not None else None, f"at least {ge:g}" if ge is not None else None,
              f"at most {le:g}" if le is not None else None]
    wanted = "a number" + (" " + " and ".join(b for b in bounds if b) if any(bounds) else "")

    class Number(float):
        @classmethod
        def __get_validators__(cls):
            yield cls.validate

        @classmethod
        def validate(cls, value: Any) -> float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or (gt is not None and value <= gt) or (ge is not None and value < ge) or (
                le is not None and value > le
            ):
                raise ValueError(f"must be {wanted} (got {value!r})")
            return float(value)

    return Number


def per_language(item: Any, noun: str, required: bool = True, name: Optional[str] = None) -> Type[Strict]:
    """A mapping with one `item` per language ({pl: ..., en: ...}); each required unless not."""

    def languages_given(cls, values: Any) -> Any:
        if required and isinstance(values, Mapping):
            missing = [lang for lang in LANGUAGES if lang not in values]
            if missing:
                raise ValueError(f"has no {missing[0]} {noun}")
        return values

    fields = {lang: (item, ...) if required else (Optional[item], None) for lang in LANGUAGES}
    return create_model(
        name or f"PerLanguage{noun.title().replace(' ', '')}", __base__=Strict,
        __validators__={"languages_given": root_validator(pre=True, allow_reuse=True)(languages_given)},
        **fields,
    )


Texts = per_language(Text, "text", name="Texts")


# ---- sections.yml, answers/*.yml, faq.yml ------------------------------------------------------


class Section(Strict):
    id: Id
    aspect: Text
    title: Texts

    @validator("id")
    def unique(cls, section_id: str) -> str:
        if context().seen("section", section_id) is not None:
            raise Invalid("duplicate section id")
        return section_id


class SectionsFile(Strict):
    sections: List[Section]


ANSWER_ID = re.compile(r"^(?P<aspect>[a-z_]+)/(?P<plan>[a-z_]+)$")
FAQ_ID = re.compile(r"^faq/[a-z][a-z0-9_]*$")


def _unique_entry(entry_id: str) -> str:
    first = context().seen("entry", entry_id)
    if first is not None:
        raise Invalid(f"duplicate id (first defined in {first})")
    return entry_id


def _section_about(section: str, aspect: str) -> None:
    sections = context().sections
    if sections is not None and sections.get(section) != aspect:
        raise Invalid(f"section {section} is about '{sections.get(section)}', not '{aspect}'")


class Answer(Strict):
    id: str
    section: SectionRef
    text: Texts

    @validator("id")
    def answer_id(cls, entry_id: str) -> str:
        match = ANSWER_ID.match(entry_id)
        if not match or match["aspect"] not in ASPECTS or match["plan"] not in PLAN_VIEWS:
            raise Invalid(f"an answer id must be <aspect>/<plan> with aspect in {', '.join(ASPECTS)} "
                          f"and plan in {', '.join(PLAN_VIEWS)}")
        return _unique_entry(entry_id)

    @root_validator(skip_on_failure=True)
    def section_matches(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        _section_about(values["section"], values["id"].split("/")[0])
        return values

    @property
    def aspect(self) -> str:
        return self.id.split("/")[0]

    @property
    def plan(self) -> str:
        return self.id.split("/")[1]


class Faq(Strict):
    id: str
    section: SectionRef
    question: Texts
    text: Texts

    @validator("id")
    def faq_id(cls, entry_id: str) -> str:
        if not FAQ_ID.match(entry_id):
            raise Invalid("an FAQ id must look like faq/<snake_case>")
        return _unique_entry(entry_id)

    @root_validator(skip_on_failure=True)
    def section_matches(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        _section_about(values["section"], values["id"])
        return values


class AnswersFile(Strict):
    entries: List[Answer]


class FaqFile(Strict):
    entries: List[Faq]


# ---- plans.yml ---------------------------------------------------------------------------------

PLAN_FACT_KEYS = ("horizon", "nature", "scope", "team", "budget", "evaluation", "combining")
PLAN_LISTS = ("goals", "tools")

Fact = create_model("Fact", __base__=Strict, value=(Text, ...), section=(SectionRef, ...),
                    **{lang: (Text, ...) for lang in LANGUAGES})
Facts = create_model("Facts", __base__=Strict, **{key: (Fact, ...) for key in PLAN_FACT_KEYS})
ListItem = create_model("ListItem", __base__=Strict, id=(Snake, ...), **{lang: (Text, ...) for lang in LANGUAGES})


class PlanList(Strict):
    section: SectionRef
    items: List[ListItem]


class Plan(Strict):
    id: Literal[PLANS]
    name: Texts
    facts: Facts
    lists: Dict[Snake, PlanList]

    @validator("lists")
    def has_lists(cls, lists: Dict[str, PlanList]) -> Dict[str, PlanList]:
        missing = [name for name in PLAN_LISTS if name not in lists]
        if missing:
            raise Invalid(f"missing list '{missing[0]}'")
        return lists


class PlansFile(Strict):
    plans: List[Plan]


# ---- terms.yml ---------------------------------------------------------------------------------

Phrases = per_language(conlist(Text, min_items=1), "terms", name="Phrases")


def _targets(name: str, targets: Tuple[str, ...]) -> Type[Strict]:
    return create_model(name, __base__=Strict, **{target: (Phrases, ...) for target in targets})


class TermsFile(Strict):
    aspects: _targets("AspectTerms", ASPECTS)
    plans: _targets("PlanTerms", PLAN_VIEWS)  # `both`: words naming the two plans together
    references: _targets("ReferenceTerms", ("plan",))
    # words that point to one plan without naming it ("kampania reklamowa" -> marketing): used
    # only for a question that names no plan (bot/components/term_entities.py)
    plan_hints: _targets("PlanHintTerms", ("sales", "marketing"))
    languages: _targets("LanguageTerms", LANGUAGES)


# ---- classifier.yml ----------------------------------------------------------------------------

DIMENSIONS = ("measure", "horizon", "tool", "team", "scope")
SIGNAL_PLANS = ("sales", "marketing", "outside")


class Duration(Strict):
    up_to_months: Optional[number(ge=0)]
    over_months: Optional[number(ge=0)]

    @root_validator(skip_on_failure=True)
    def one_bound(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if sum(values.get(key) is not None for key in ("up_to_months", "over_months")) != 1:
            raise ValueError("needs exactly one of up_to_months, over_months")
        return values


class Signal(Strict):
    id: Snake
    dimension: Literal[DIMENSIONS]
    plan: Literal[SIGNAL_PLANS]
    weight: number(gt=0)
    section: SectionRef
    reason: Texts
    terms: Optional[Phrases]
    duration: Optional[Duration]

    @validator("id")
    def unique(cls, signal_id: str) -> str:
        if context().seen("signal", signal_id) is not None:
            raise Invalid("duplicate signal id")
        return signal_id

    @root_validator(skip_on_failure=True)
    def terms_or_duration(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (values.get("terms") is None) == (values.get("duration") is None):
            raise Invalid("a signal needs either 'terms' or 'duration' (not both)")
        for lang in LANGUAGES:
            for phrase in getattr(values.get("terms"), lang, None) or ():
                owner = context().claim("term", (lang, " ".join(fold(phrase).split())), values["id"])
                if owner is not None:
                    raise Invalid(f"{lang} term '{phrase}' is also a term of signal '{owner}'")
        return values


Unit = create_model(
    "Unit", __base__=Strict, id=(Text, ...), months=(number(gt=0), ...),
    plural=(Optional[per_language(conlist(Word, min_items=1), "plural forms", required=False)], None),
    **{lang: (conlist(Word, min_items=1), ...) for lang in LANGUAGES},
)


class Durations(Strict):
    units: conlist(Unit, min_items=1)
    plural_counts_as: number(gt=0)
    max_count: number(gt=0)
    fillers: Optional[per_language(conlist(Word, min_items=1), "fillers", required=False)]
    numbers: per_language(Dict[Word, number(gt=0)], "number words")


class Decision(Strict):
    min_score: number(ge=0)
    both_needs: Literal[DIMENSIONS]
    both_min_ratio: number(ge=0, le=1)
    min_lead: number(ge=0)
    supports_only: Optional[Literal[DIMENSIONS]] = None  # a dimension that only breaks ties (e.g. the horizon)


class Rules(Strict):
    signals: conlist(Signal, min_items=1)
    ignore: Optional[per_language(conlist(Text, min_items=1), "phrases", required=False)]
    means: Optional[per_language(conlist(Text, min_items=1), "phrases", required=False)]  # "through", "dzięki"
    durations: Optional[Durations]
    decision: Decision

    @root_validator(skip_on_failure=True)
    def durations_for_duration_signals(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values.get("durations") is None and any(s.duration for s in values["signals"]):
            raise Invalid("'durations' (units and number words) is needed by the duration signals")
        return values


# ---- drafting.yml ------------------------------------------------------------------------------

# Every label the plan drafting uses, with the {placeholders} it fills in.
LABELS: Dict[str, Tuple[str, ...]] = {
    "title": ("business",), "title_in_progress": ("business",), "untitled": (), "meta": ("date", "id"),
    "horizon_and_budget": ("horizon", "budget"), "not_decided": (), "not_given": (), "goals": (),
    "from_guide": (), "horizon": (), "tools": (), "team": (), "budget": (), "evaluation": (),
    "source": ("title",), "shared_goal": (), "clarified": ("answer",), "horizon_long_for_sales": ("horizon",),
    "horizon_short_for_marketing": ("horizon",), "combining": (), "sales_component": (),
    "sales_component_goals": ("goals",), "set_aside": (), "set_aside_note": (), "in_progress_plan": ("plan",),
    "in_progress_both": (), "in_progress_set_aside": (), "in_progress_pending": (), "no_goals_yet": (),
    "quoted": ("text",),
}


def _placeholders(allowed: Tuple[str, ...]):
    def check(cls, texts: Any) -> Any:
        for lang in LANGUAGES:
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(getattr(texts, lang)) if name is not None}
            except ValueError as error:
                raise ValueError(f"{lang} text has unbalanced braces ({error})") from None
            unknown = used - set(allowed)
            if unknown:
                expected = ", ".join("{" + name + "}" for name in allowed) or "none"
                raise Invalid(f"{lang} text uses unknown {{{', '.join(sorted(unknown))}}} (allowed: {expected})")
        return texts

    return check


Labels = create_model(
    "Labels", __base__=Strict,
    __validators__={f"placeholders_{key}": validator(key, allow_reuse=True)(_placeholders(allowed))
                    for key, allowed in LABELS.items()},
    **{key: (Texts, ...) for key in LABELS},
)
NumberWords = per_language(Dict[str, number()], "words with their numbers")
WordList = per_language(conlist(Text, min_items=1), "words")


class GoalReferences(Strict):
    ordinals: NumberWords
    cardinals: NumberWords
    goal_words: WordList
    remove_words: WordList
    replace_words: WordList
    command_words: WordList
    replacement_separators: WordList


class Budget(Strict):
    multipliers: per_language(Dict[str, number(gt=0)], "multipliers")
    currencies: Dict[str, conlist(Text, min_items=1)]

    @validator("currencies")
    def some_currency(cls, currencies: Dict[str, Any]) -> Dict[str, Any]:
        if not currencies:
            raise ValueError("must map currency codes to lists of names or symbols")
        return currencies


class DraftingFile(Strict):
    labels: Labels
    goal_references: GoalReferences
    periods: WordList
    budget: Budget
