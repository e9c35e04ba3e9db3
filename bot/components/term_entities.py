"""Rule-based entities from the knowledge base's term lists, and the message's language.

The terms come from the knowledge base (`knowledge/content/terms.yml`, loaded into the
database), the single source for them. They are read when the model is trained and persisted
in the component's model storage, so loading the model never needs the database (a server
whose knowledge base is down or empty still understands messages, and its actions say the
knowledge base is unavailable); `fingerprint_addon` makes Rasa's training cache retrain the
component when the terms change. They are matched over lemmas, so inflection and text
typed without diacritics are recognised. Aspect and plan matches become entities. The message's
language is decided here, once, into the parse data (docs/architecture.md, "A message's language").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.morphology_tokenizer import focus_spans, written_language
from bot.settings import get_settings
from knowledge.repository import repository_for
from language import LANGUAGES, MESSAGE_LANGUAGE
from language.focus import in_spans
from language.lemmatizer import get_lemmatizer
from language.matcher import TermMatcher

# What becomes an entity: the aspects and plans named, and a word pointing back to the plan of
# the previous answer ("reference", value "plan": "how do I evaluate it?").
ENTITY_KINDS = ("aspect", "plan", "reference")
TERMS_FILE = "terms.json"

Terms = Dict[str, Dict[str, Dict[str, List[str]]]]
# The knowledge base's kind of the plan hints (terms.yml `plan_hints`), and the role of the plan
# entity they add to a question that names no plan.
HINT_KIND = "plan_hint"
HINT_ROLE = "hint"


def _matchers(terms: Terms) -> Tuple[TermMatcher, Optional[TermMatcher]]:
    """The matcher of the named terms, and the one of the plan hints (terms.yml `plan_hints`;
    None without any)."""
    named = {kind: targets for kind, targets in terms.items() if kind != HINT_KIND}
    hints = terms.get(HINT_KIND)
    lemmatizer = get_lemmatizer()
    return TermMatcher(named, lemmatizer), (TermMatcher({HINT_KIND: hints}, lemmatizer) if hints else None)


def named_plans(entities: List[Dict[str, Any]]) -> List[str]:
    """The plans a message names (plan entities without the `hint` role)."""
    return [e["value"] for e in entities if e.get("entity") == "plan" and e.get("role") != HINT_ROLE]


def hinted_plans(entities: List[Dict[str, Any]]) -> List[str]:
    """The plans a message's words only suggest (plan entities with the `hint` role)."""
    return [e["value"] for e in entities if e.get("entity") == "plan" and e.get("role") == HINT_ROLE]


def refers_back(entities: List[Dict[str, Any]]) -> bool:
    """Whether the message points back to the previous answer's plan ("how do I evaluate it?")."""
    return any(e.get("entity") == "reference" for e in entities)


def _terms_from_knowledge_base() -> Terms:
    return repository_for(get_settings().knowledge_db_url).terms()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class TermEntityExtractor(EntityExtractorMixin, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # intents on which a named language ("po angielsku", "in Polish") is a switch request
            "switch_intents": ["switch_language"],
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        terms: Optional[Terms],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        """`terms`: kind -> target -> language -> phrases, as the knowledge base gives them."""
        self._config = config
        self._matcher, self._hints = _matchers(terms) if terms is not None else (None, None)
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Before training: the terms are read in `train`."""
        return cls(config, None, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the terms from the knowledge base and persist them with the model."""
        terms = _terms_from_knowledge_base()
        with self._model_storage.write_to(self._resource) as directory:
            (directory / TERMS_FILE).write_text(json.dumps(terms, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        self._matcher, self._hints = _matchers(terms)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GraphComponent:
        """From the model alone: the terms persisted at training time, no database."""
        with model_storage.read_from(resource) as directory:
            terms = json.loads((directory / TERMS_FILE).read_text(encoding="utf-8"))
        return cls(config, terms, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The terms' hash: Rasa's training cache must not reuse a component trained on other terms."""
        terms = json.dumps(_terms_from_knowledge_base(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(terms.encode("utf-8")).hexdigest()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            matches = self._matcher.find(text, written_language(message) or LANGUAGES[0])
            focused = self._focused(message, matches)
            entities = self.add_extractor_name([
                {"entity": m.kind, "value": m.target, "start": m.start, "end": m.end, "confidence_entity": 1.0}
                for m in focused
            ] + self._hinted(message, text, focused))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
            requested = [m.target for m in matches if m.kind == "language"]
            message.set(MESSAGE_LANGUAGE, self._language(message, requested), add_to_output=True)
        return messages

    @staticmethod
    def _focused(message: Message, matches: List[Any]) -> List[Any]:
        """Aspect and plan matches in the message's question (language.focus); the plan named
        in the preamble when the question names none ("... my marketing plan. How do I measure it?")."""
        spans = focus_spans(message)
        kept = [m for m in matches if m.kind in ENTITY_KINDS and in_spans(m.start, m.end, spans)]
        if not any(m.kind == "plan" for m in kept):
            kept += [m for m in matches if m.kind == "plan" and not in_spans(m.start, m.end, spans)]
            kept.sort(key=lambda m: m.start)
        return kept

    def _hinted(self, message: Message, text: str, focused: List[Any]) -> List[Dict[str, Any]]:
        """A `plan` entity with the role `hint` when the question names no plan and its words
        point to exactly one (the first hint of that plan)."""
        if self._hints is None or any(m.kind == "plan" for m in focused):
            return []
        spans = focus_spans(message)
        hints = [m for m in self._hints.find(text, written_language(message) or LANGUAGES[0])
                 if in_spans(m.start, m.end, spans)]
        if len({m.target for m in hints}) != 1:
            return []
        m = hints[0]
        return [{"entity": "plan", "value": m.target, "role": HINT_ROLE, "start": m.start, "end": m.end,
                 "confidence_entity": 1.0}]

    def _language(self, message: Message, requested: List[str]) -> Optional[str]:
        if requested and (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in self._config["switch_intents"]:
            return requested[-1]
        channel = (message.get("metadata") or {}).get("lang")
        return written_language(message) or (channel if channel in LANGUAGES else None)
