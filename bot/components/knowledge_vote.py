"""A third reading of a knowledge-base question: BM25 over each entry's own text.

For every knowledge-base intent (`ask_<aspect>`, `faq_<id>`) one document is built from the
knowledge base's answer texts for that aspect (or the FAQ's question and answer), in both
languages, and the intent's training sentences, all as lemmas. A message whose intent is a
knowledge-base intent is scored against these documents with BM25 (over the lemmas of its
question part, language.focus). When another entry clearly wins (its score leads the
predicted intent's entry by at least `margin` of the best score) the readings disagree, unless
the term matcher named the intent's aspect in the question (`trust_named_aspect`) or the
classifier is at least `trust_above` sure (as the SecondOpinionClassifier's `trust_above`:
"what does the sales team do specifically" shares more words with the combining entry):
the intent becomes `nlu_fallback` and the did-you-mean action offers the ranked topics instead
of a confident wrong answer.

The entries are read from the loaded knowledge base (KNOWLEDGE_DB_URL), the source the
TermEntityExtractor reads its terms from, once per training process (`fingerprint_addon` and
`train` share the read), and the index is persisted with the model (JSON and NumPy files), so
serving needs no database; `fingerprint_addon` retrains the component when the entries change.
Place it after the SecondOpinionClassifier.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.second_opinion import KNOWLEDGE_PREFIXES, doubt, message_lemmas, names_its_aspect
from bot.settings import get_settings
from knowledge.repository import repository_for
from language.lemmatizer import get_lemmatizer

KNOWLEDGE_VOTE_KEY = "knowledge_vote"
INDEX_FILE = "knowledge_index.json"


class BM25Index:
    """Okapi BM25 over a few documents (one per intent), small enough to score densely."""

    def __init__(self, labels: List[str], vocabulary: Dict[str, int], tf: np.ndarray, k1: float = 1.5, b: float = 0.75):
        self.labels = labels
        self.vocabulary = vocabulary
        self.tf = tf  # documents x vocabulary counts
        lengths = tf.sum(axis=1)
        df = (tf > 0).sum(axis=0)
        n = len(labels)
        self.idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0)
        self.norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
        self.k1 = k1

    @classmethod
    def build(cls, documents: Dict[str, Iterable[str]]) -> "BM25Index":
        labels = sorted(documents)
        counts = [Counter(documents[label]) for label in labels]
        vocabulary: Dict[str, int] = {}
        for c in counts:
            for term in c:
                vocabulary.setdefault(term, len(vocabulary))
        tf = np.zeros((len(labels), len(vocabulary)), dtype=np.float32)
        for row, c in enumerate(counts):
            for term, count in c.items():
                tf[row, vocabulary[term]] = count
        return cls(labels, vocabulary, tf)

    def scores(self, lemmas: Sequence[str]) -> np.ndarray:
        columns = [self.vocabulary[lemma] for lemma in lemmas if lemma in self.vocabulary]
        if not columns:
            return np.zeros(len(self.labels))
        f = self.tf[:, columns]
        return (self.idf[columns] * f * (self.k1 + 1) / (f + self.norm[:, None])).sum(axis=1)

    def vote(self, lemmas: Sequence[str]) -> Tuple[Optional[str], float]:
        """The best document's label and its relative lead over the second ((s1 - s2) / s1)."""
        scores = self.scores(lemmas)
        if len(scores) < 2 or scores.max() <= 0:
            return None, 0.0
        order = np.argsort(-scores)
        best, second = scores[order[0]], scores[order[1]]
        return self.labels[order[0]], float((best - second) / best)

    def to_json(self) -> Dict[str, Any]:
        rows, cols = np.nonzero(self.tf)
        return {"labels": self.labels, "vocabulary": self.vocabulary,
                "cells": [[int(r), int(c), float(self.tf[r, c])] for r, c in zip(rows, cols)]}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "BM25Index":
        tf = np.zeros((len(data["labels"]), len(data["vocabulary"])), dtype=np.float32)
        for r, c, v in data["cells"]:
            tf[r, c] = v
        return cls(data["labels"], data["vocabulary"], tf)


def knowledge_documents(entries: Iterable[Dict[str, Any]]) -> Dict[str, List[str]]:
    """Lemmas of the content entries' texts (and FAQ questions), per knowledge-base intent."""
    lemmatizer = get_lemmatizer()
    documents: Dict[str, List[str]] = {}
    for entry in entries:
        if entry.get("kind") == "faq":
            intent = "faq_" + str(entry["id"]).split("/")[-1]
            texts = [entry.get("text") or {}, entry.get("question") or {}]
        else:
            intent = f"ask_{entry['aspect']}"
            texts = [entry.get("text") or {}]
        for by_language in texts:
            for language, text in by_language.items():
                documents.setdefault(intent, []).extend(t.lemma for t in lemmatizer.tokens(text or "", language))
    return documents


# The knowledge base's entries per (database, load): Rasa asks for the fingerprint and then
# trains, in one process; a `kb load` in between (a new `loaded_at`) reads them again.
_ENTRIES: Dict[Tuple[str, Optional[str]], List[Dict[str, Any]]] = {}


def knowledge_entries() -> List[Dict[str, Any]]:
    """The loaded knowledge base's answer and FAQ entries with their texts."""
    url = get_settings().knowledge_db_url
    repository = repository_for(url)
    key = (url, repository.loaded_at())
    if key not in _ENTRIES:
        _ENTRIES.clear()
        _ENTRIES[key] = repository.entries()
    return _ENTRIES[key]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class KnowledgeVote(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # another entry must lead by this share of the best score to overrule the intent
            "margin": 0.15,
            # read the knowledge base's own texts (off: the training sentences alone)
            "use_content": True,
            # a knowledge-base intent at or above this confidence is not overruled (null: always vote)
            "trust_above": None,
            # an `ask_<aspect>` intent whose aspect the term matcher found in the question is not
            # overruled: the classifier and the term lists agree ("average marketing budget")
            "trust_named_aspect": True,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 index: Optional[BM25Index] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._index = index

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The content's hash: Rasa's training cache must not reuse an index built on other texts."""
        if not {**cls.get_default_config(), **config}.get("use_content"):
            return None
        content = json.dumps(knowledge_entries(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        documents: Dict[str, List[str]] = knowledge_documents(knowledge_entries()) if self._config["use_content"] else {}
        for example in training_data.intent_examples:
            intent = example.get(INTENT) or ""
            if intent.startswith(KNOWLEDGE_PREFIXES) and example.get(TEXT):
                documents.setdefault(intent, []).extend(message_lemmas(example))
        self._index = BM25Index.build(documents) if documents else None
        with self._model_storage.write_to(self._resource) as directory:
            if self._index is not None:
                (directory / INDEX_FILE).write_text(json.dumps(self._index.to_json(), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> GraphComponent:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / INDEX_FILE).read_text(encoding="utf-8"))
                return cls(config, model_storage, resource, BM25Index.from_json(data))
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._index is None:
            return messages
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY) or ""
            if not name.startswith(KNOWLEDGE_PREFIXES):
                continue
            if self._config["trust_named_aspect"] and names_its_aspect(name, message):
                continue
            trust_above = self._config["trust_above"]
            if trust_above is not None and (intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= trust_above:
                continue
            vote, lead = self._index.vote(message_lemmas(message))
            message.set(KNOWLEDGE_VOTE_KEY, vote, add_to_output=True)
            if vote is not None and vote != name and lead >= self._config["margin"]:
                doubt(message, intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        return messages
