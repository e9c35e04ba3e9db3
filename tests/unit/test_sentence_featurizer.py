"""The NLU's fast path: sentence features only, and the classifier's input built directly.

`SentenceCountVectorsFeaturizer` must give every message the sentence features Rasa's
`CountVectorsFeaturizer` gives it, and `ArrayLogisticRegressionClassifier._create_X` must build
the matrix Rasa's `LogisticRegressionClassifier._create_X` builds, value for value. Both are
checked on the project's own training data (data/nlu, both languages), featurized with the
pipeline's two featurizer configurations (bot/config.yml), and the Rasa sources they mirror are
pinned.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
import rasa
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT

from bot.components.intent_classifier import ArrayLogisticRegressionClassifier
from bot.components.morphology_tokenizer import MorphologyTokenizer
from bot.components.sentence_featurizer import SentenceCountVectorsFeaturizer

PROJECT_DIR = Path(__file__).resolve().parents[2]
PINNED = {"_create_features": "d841f50f6649704a", "process": "95cd0baaa70c8983"}


def _digest(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_rasa_featurizer_is_the_one_the_subclass_was_written_for():
    assert rasa.__version__ == "3.6.21"
    assert {name: _digest(getattr(CountVectorsFeaturizer, name)) for name in PINNED} == PINNED


def _featurizer_configs() -> List[Dict[str, Any]]:
    pipeline = yaml.safe_load((PROJECT_DIR / "bot" / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    configs = [{k: v for k, v in c.items() if k != "name"} for c in pipeline if c["name"].endswith("CountVectorsFeaturizer")]
    assert len(configs) == 2, "bot/config.yml: the word and the character n-gram featurizers"
    return configs


@pytest.fixture(scope="module")
def training_data():
    data = RasaFileImporter(training_data_paths=[str(PROJECT_DIR / "data")]).get_nlu_data()
    MorphologyTokenizer(MorphologyTokenizer.get_default_config()).process_training_data(data)
    return data


def _featurize(training_data, tmp_path: Path, featurizer_class) -> List[Any]:
    """Train Rasa's featurizers on the data, then featurize a copy of it with `featurizer_class`
    loaded from what Rasa's component saved (both read the same vectorizers)."""
    data = copy.deepcopy(training_data)
    for i, config in enumerate(_featurizer_configs()):
        directory = tmp_path / f"{featurizer_class.__name__}{i}"
        directory.mkdir()
        storage = LocalModelStorage(directory)
        resource = Resource(f"featurizer{i}")
        context = ExecutionContext(GraphSchema({}), node_name=f"featurizer{i}")
        full = {**CountVectorsFeaturizer.get_default_config(), **config}
        CountVectorsFeaturizer.create(full, storage, resource, context).train(data)
        featurizer_class.load(full, storage, resource, context).process_training_data(data)
    return [m for m in data.intent_examples if m.get(TEXT)]


@pytest.fixture(scope="module")
def featurized(training_data, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("featurizers")
    return {cls: _featurize(training_data, tmp_path, cls) for cls in (CountVectorsFeaturizer, SentenceCountVectorsFeaturizer)}


def test_the_data_covers_both_languages(featurized):
    messages = featurized[CountVectorsFeaturizer]
    assert len(messages) > 2000
    assert {m.get("written_language") for m in messages} >= {"pl", "en"}


def test_sentence_features_equal_rasas_and_no_sequence_features_are_made(featurized):
    rasa_messages, ours = featurized[CountVectorsFeaturizer], featurized[SentenceCountVectorsFeaturizer]
    assert [m.get(TEXT) for m in rasa_messages] == [m.get(TEXT) for m in ours]
    for theirs, mine in zip(rasa_messages, ours):
        expected = [f for f in theirs.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        got = [f for f in mine.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        assert [f.origin for f in got] == [f.origin for f in expected]
        for e, g in zip(expected, got):
            assert e.features.shape == g.features.shape and (e.features != g.features).nnz == 0, mine.get(TEXT)
        assert not [f for f in mine.features if f.type == FEATURE_TYPE_SEQUENCE]


def test_the_classifier_input_equals_rasas(featurized):
    messages = featurized[CountVectorsFeaturizer]
    component = ArrayLogisticRegressionClassifier({}, "lr", None, None)
    rasa_X = LogisticRegressionClassifier._create_X(component, messages)
    ours = component._create_X(messages)
    assert ours.shape == rasa_X.shape and ours.dtype == rasa_X.dtype
    assert (ours != rasa_X).nnz == 0
    # and on the featurizer without sequence features, the same matrix again
    assert (component._create_X(featurized[SentenceCountVectorsFeaturizer]) != rasa_X).nnz == 0


def test_predictions_are_identical(featurized):
    messages = featurized[CountVectorsFeaturizer]
    component = ArrayLogisticRegressionClassifier({"solver": "liblinear", "random_state": 42}, "lr", None, None)
    X = LogisticRegressionClassifier._create_X(component, messages)
    component.clf.fit(X, [m.get("intent") for m in messages])
    single = np.vstack([component.clf.predict_proba(component._create_X([m])) for m in messages[::25]])
    assert np.array_equal(single, component.clf.predict_proba(X[::25]))


def test_messages_of_different_widths_are_refused(featurized):
    first = copy.deepcopy(featurized[SentenceCountVectorsFeaturizer][0])
    first.features = first.features[:1]
    with pytest.raises(ValueError, match="different widths"):
        ArrayLogisticRegressionClassifier({}, "lr", None, None)._create_X([first, featurized[SentenceCountVectorsFeaturizer][1]])
