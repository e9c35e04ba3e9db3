"""Fuse the term matcher's evidence with the intent classifier's ranking.

The intent classifier reads every word of the question, but on real questions its words are
often ones it has seen under another intent, or under `out_of_scope`. The term matcher
(bot.components.term_entities) knows the field's words for each aspect and plan, from the
knowledge base. This component reweighs the classifier's ranking with that evidence, found in
the question part of the message (language.focus):

- an `ask_<aspect>` intent whose aspect the question names is multiplied by `1 + aspect_weight`
  (only when the message also names a plan or points back to the previous answer's plan, "what
  goals does it have?", or `aspect_needs_plan` is off: "what is a budget?"
  names an aspect but is not about the plans; a message shorter than `min_words` words is a
  follow-up, whose plan the conversation supplies: "jaki ma zakres?" needs no plan);
- `follow_up` is multiplied by `1 + follow_up_weight` when a message shorter than `min_words`
  words names an aspect or a plan but not both ("a plan sprzedaży?", "and tools?"): the shape
  of a follow-up, which the answer action completes from the previous answer's aspect or plan;
- `out_of_scope` is multiplied by `out_of_scope_factor` when the question names an aspect and
  the message names a plan (the classifier was not sure enough the words are off topic);
- every knowledge-base intent is multiplied by `no_evidence_factor` when a message of at least
  `min_words` words names neither an aspect nor a plan (a question about neither plan);
- every knowledge-base intent is multiplied by `no_plan_factor` when a message of at least
  `min_words` words names an aspect but no plan, its words suggest none (a `plan` entity with
  the role `hint`) and it does not speak of the plans otherwise (see `no_plan_factor` below):
  a near miss, "how do I calculate a SaaS budget for a start-up?";

then the ranking is normalised again. The classifier's own ranking stays in the parse data
(`classifier_ranking`) for reading misses. Place it after the TermEntityExtractor and before
the FallbackClassifier, so the answer / did-you-mean / decline thresholds apply to the fused
confidence.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.second_opinion import KNOWLEDGE_PREFIXES
from bot.components.term_entities import hinted_plans, named_plans, refers_back

ASPECT_PREFIX = "ask_"
OUT_OF_SCOPE = "out_of_scope"
FOLLOW_UP = "follow_up"
CLASSIFIER_RANKING_KEY = "classifier_ranking"


def fuse(
    ranking: Sequence[Dict[str, Any]],
    aspects: Iterable[str],
    plans: Iterable[str],
    word_count: int,
    config: Dict[str, Any],
    hinted: Iterable[str] = (),
    says_plan: bool = False,
    refers: bool = False,
) -> List[Dict[str, Any]]:
    """The ranking reweighed by the aspects and plans the message names, normalised, best first
    (`hinted`: plans its words only suggest, TermEntityExtractor's `plan_hints`; `says_plan`: the
    message speaks of the plans without naming one, "these plans", "which of them"; `refers`: it
    points back to the previous answer's plan, which the answer action supplies, "what goals does it
    have?")."""
    aspects, plans, hinted = set(aspects), set(plans), set(hinted)
    short = word_count < config["min_words"]
    weighted = []
    for entry in ranking:
        name = entry.get(INTENT_NAME_KEY) or ""
        weight = 1.0
        if name.startswith(ASPECT_PREFIX) and name[len(ASPECT_PREFIX):] in aspects and (plans or refers or short or not config["aspect_needs_plan"]):
            weight *= 1.0 + config["aspect_weight"]
        if name == FOLLOW_UP and short and bool(aspects) != bool(plans):
            weight *= 1.0 + config["follow_up_weight"]
        if name == OUT_OF_SCOPE and aspects and plans:
            weight *= config["out_of_scope_factor"]
        if name.startswith(KNOWLEDGE_PREFIXES) and not aspects and not plans and word_count >= config["min_words"]:
            weight *= config["no_evidence_factor"]
        if name.startswith(KNOWLEDGE_PREFIXES) and aspects and not (plans or hinted or says_plan or refers) and word_count >= config["min_words"]:
            weight *= config["no_plan_factor"]
        weighted.append((name, (entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0) * weight))
    total = sum(score for _, score in weighted) or 1.0
    fused = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: score / total} for name, score in weighted]
    return sorted(fused, key=lambda r: -r[PREDICTED_CONFIDENCE_KEY])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EvidenceFusion(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "aspect_weight": 0.5,
            "aspect_needs_plan": True,
            "out_of_scope_factor": 0.5,
            "no_evidence_factor": 1.0,
            "follow_up_weight": 0.0,
            "min_words": 5,
            # every knowledge-base intent is multiplied by this when a message of at least
            # `min_words` words names an aspect but neither names nor suggests a plan, nor speaks
            # of the plans at all: says "plan" (one of `plan_lemmas`: "what tools do these plans
            # use?"), points back to the previous answer's plan (a `reference` entity, "what goals
            # does it have?") or to both plans with a pronoun (`pronoun_lemmas`: "which of them
            # needs more money?", "który z nich wymaga większego budżetu?")
            "no_plan_factor": 1.0,
            # folded lemmas, as the tokenizer gives them
            "plan_lemmas": ["plan", "planowanie", "planowac", "planning"],
            "pronoun_lemmas": [],
            # a reference counts only in a message of at most this many words (None: any): in a
            # longer one, "it" mostly points to something the message itself names ("what is
            # synergy and how is it created?")
            "reference_max_words": None,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        self._plan_words = frozenset(self._config["plan_lemmas"]) | frozenset(self._config["pronoun_lemmas"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY) or []
            if not ranking:
                continue
            entities = message.get(ENTITIES) or []
            aspects = [e[ENTITY_ATTRIBUTE_VALUE] for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == "aspect"]
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            says_plan = any((t.lemma or "") in self._plan_words for t in tokens)
            most = self._config["reference_max_words"]
            refers = refers_back(entities) and (most is None or len(tokens) <= most)
            fused = fuse(ranking, aspects, named_plans(entities), len(tokens), self._config,
                         hinted_plans(entities), says_plan, refers)
            message.set(CLASSIFIER_RANKING_KEY, ranking, add_to_output=True)
            message.set(INTENT_RANKING_KEY, fused, add_to_output=True)
            message.set(INTENT, dict(fused[0]), add_to_output=True)
        return messages
