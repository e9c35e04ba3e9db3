"""A second opinion on the intent: the training sentences nearest to the message, over lemmas.

The intent classifier (logistic regression over lemma and character n-gram counts) is often
confidently wrong on real questions whose words it has seen under another intent. This
component keeps a TF-IDF index of every training sentence's lemmas (the tokenizer already
lemmatised them) and, for each message, lets its nearest training sentences vote for an
intent. When the classifier picks a knowledge-base intent (`ask_*`, `faq_*`) below
`trust_above` for a message of at least `min_words` words (shorter ones are follow-ups) and the
neighbours vote for another intent, the message is uncertain (a vote for `follow_up`, the
intent of short messages naming an aspect, agrees with `ask_<aspect>` when the term matcher
names that aspect in the message: "compare the budgets of both plans"): the
intent becomes `nlu_fallback`, exactly as Rasa's FallbackClassifier would set it, so the
did-you-mean action offers the ranked topics instead of a confident wrong answer. With
`named_question_outvotes_out_of_scope`, an `out_of_scope` vote does not overrule an
`ask_<aspect>` intent when the message names that aspect and a plan: the lexical neighbours of
"co to jest plan sprzedażowy?" are definitions of other terms ("co to jest lead sprzedażowy?",
declined), and the index leaves out "plan", a word of most training sentences.

Place it after the FallbackClassifier. Its index is trained with the model and persisted with
it (JSON and NumPy files, no pickles).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.components.term_entities import named_plans

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
KNOWLEDGE_PREFIXES = ("ask_", "faq_")
SECOND_OPINION_KEY = "second_opinion"


def _identity(lemmas: List[str]) -> List[str]:
    return lemmas


def message_lemmas(message: Message) -> List[str]:
    """The lemmas of the message's tokens (the tokenizer's, so only its question part)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [token.lemma or token.text.lower() for token in tokens]


def named_aspects(message: Message) -> List[str]:
    """The aspects the term matcher found in the message."""
    return [e.get("value") for e in message.get(ENTITIES) or [] if e.get("entity") == "aspect"]


def names_its_aspect(intent_name: str, message: Message) -> bool:
    """An `ask_<aspect>` intent whose aspect the term matcher found in the message (never an
    `faq_<id>` intent, even when an FAQ id equals an aspect's)."""
    return intent_name.startswith("ask_") and intent_name[len("ask_"):] in named_aspects(message)


def _vectorizer(vocabulary: Optional[Dict[str, int]] = None, max_df: float = 1.0) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_identity, sublinear_tf=True, vocabulary=vocabulary, max_df=max_df)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SecondOpinionClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the training sentences that vote, weighted by their cosine similarity
            "neighbours": 7,
            # a knowledge-base intent at or above this confidence needs no second opinion
            "trust_above": 0.6,
            # lemmas in more than this share of the training sentences carry no signal
            "max_df": 0.2,
            # shorter messages ("a budżet?", "and the team?") are follow-ups: too few words to vote on
            "min_words": 5,
            # an `ask_<aspect>` intent at or above this confidence whose aspect the term matcher
            # found in the question (an `aspect` entity) needs no second opinion: two independent
            # readings agree (null: always ask the neighbours)
            "trust_named_aspect_above": None,
            # the intent of follow-ups ("and the budget?"): its neighbours name an aspect, and a
            # vote for it agrees with `ask_<aspect>` when the message names that aspect
            "follow_up_intent": "follow_up",
            # an `out_of_scope` vote does not overrule an `ask_<aspect>` intent whose aspect the
            # message names together with a plan: the off-topic neighbours share only its
            # generic words ("co to jest plan sprzedażowy?" against "co to jest lead sprzedażowy?")
            "named_question_outvotes_out_of_scope": False,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectorizer: Optional[TfidfVectorizer] = None,
        matrix: Optional[scipy.sparse.csr_matrix] = None,
        labels: Optional[List[str]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = vectorizer
        self._matrix = matrix
        self._labels = labels or []

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, model_storage, resource)

    # --- training and persistence ----------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        documents = [message_lemmas(e) for e in examples]
        if examples:
            self._vectorizer = _vectorizer(max_df=self._config["max_df"])
            self._matrix = self._vectorizer.fit_transform(documents).tocsr()
            self._labels = [e.get(INTENT) for e in examples]
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            if self._vectorizer is None:
                return
            vocabulary = {term: int(index) for term, index in self._vectorizer.vocabulary_.items()}
            (directory / "index.json").write_text(
                json.dumps({"vocabulary": vocabulary, "labels": self._labels}, ensure_ascii=False), encoding="utf-8"
            )
            np.save(directory / "idf.npy", self._vectorizer.idf_)
            scipy.sparse.save_npz(directory / "matrix.npz", self._matrix)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GraphComponent:
        try:
            with model_storage.read_from(resource) as directory:
                index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
                vectorizer = _vectorizer(vocabulary=index["vocabulary"])
                vectorizer.idf_ = np.load(directory / "idf.npy")
                matrix = scipy.sparse.load_npz(directory / "matrix.npz").tocsr()
                return cls(config, model_storage, resource, vectorizer, matrix, index["labels"])
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

    # --- inference -------------------------------------------------------------------------
    def neighbour_vote(self, lemmas: List[str]) -> Optional[str]:
        """The intent the nearest training sentences vote for (None without any overlap)."""
        if self._vectorizer is None or not lemmas:
            return None
        similarities = (self._matrix @ self._vectorizer.transform([lemmas]).T).toarray().ravel()
        nearest = np.argsort(-similarities)[: self._config["neighbours"]]
        votes: Dict[str, float] = defaultdict(float)
        for i in nearest:
            if similarities[i] > 0:
                votes[self._labels[i]] += float(similarities[i])
        return max(votes, key=votes.get) if votes else None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY) or ""
            confidence = intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
            if not name.startswith(KNOWLEDGE_PREFIXES) or confidence >= self._config["trust_above"]:
                continue
            named_above = self._config["trust_named_aspect_above"]
            if named_above is not None and confidence >= named_above and names_its_aspect(name, message):
                continue
            lemmas = message_lemmas(message)
            if len(lemmas) < self._config["min_words"]:
                continue
            vote = self.neighbour_vote(lemmas)
            message.set(SECOND_OPINION_KEY, vote, add_to_output=True)
            if vote != name and not self._follow_up_agrees(vote, name, message) and not self._names_question(vote, name, message):
                doubt(message, confidence)
        return messages

    def _names_question(self, vote: Optional[str], name: str, message: Message) -> bool:
        """An `out_of_scope` vote on a message naming the intent's aspect and a plan (when configured)."""
        return (self._config["named_question_outvotes_out_of_scope"] and vote == OUT_OF_SCOPE
                and names_its_aspect(name, message) and bool(named_plans(message.get(ENTITIES) or [])))

    def _follow_up_agrees(self, vote: Optional[str], name: str, message: Message) -> bool:
        """A `follow_up` vote on a message that names the `ask_<aspect>` intent's aspect."""
        return vote is not None and vote == self._config["follow_up_intent"] and names_its_aspect(name, message)


def doubt(message: Message, confidence: float) -> None:
    """Turn the prediction into `nlu_fallback`, keeping the ranking for the suggestions."""
    message.set(INTENT, {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
    ranking.insert(0, {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: confidence})
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
