"""ArrayLogisticRegressionClassifier: Rasa's LogisticRegressionClassifier saved without skops.

A model saved and loaded by the subclass must predict exactly what Rasa's own component
predicts after its skops round trip; the Rasa sources it relies on are pinned.
"""

from __future__ import annotations

import hashlib
import inspect

import numpy as np
import pytest
import rasa
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

from bot.components.intent_classifier import ArrayLogisticRegressionClassifier

CONFIG = {"solver": "liblinear", "max_iter": 100, "random_state": 42}
PINNED = {"__init__": "efe227512de8355e", "process": "200fc5eab907e156", "train": "68f648ef29d6b903",
          "_create_X": "6f50b5eef8a879c4"}


def _digest(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_rasa_component_is_the_one_the_subclass_was_written_for():
    assert rasa.__version__ == "3.6.21"
    assert {name: _digest(getattr(LogisticRegressionClassifier, name)) for name in PINNED} == PINNED


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = sp.random(300, 500, density=0.02, random_state=seed, format="csr")
    y = [f"intent_{i}" for i in rng.integers(0, 12, size=300)]
    return X, y


@pytest.mark.parametrize("component_class", [ArrayLogisticRegressionClassifier, LogisticRegressionClassifier])
def test_round_trip_predicts_what_the_trained_model_predicted(tmp_path, component_class):
    (tmp_path / component_class.__name__).mkdir()
    storage = LocalModelStorage(tmp_path / component_class.__name__)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    trained = component_class.create(CONFIG, storage, resource, context)
    X, y = _data()
    trained.clf.fit(X, y)
    trained.persist()
    loaded = component_class.load(CONFIG, storage, resource, context)
    probe = sp.random(50, 500, density=0.03, random_state=7, format="csr")
    assert np.array_equal(loaded.clf.predict_proba(probe), trained.clf.predict_proba(probe))
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    assert loaded.clf.get_params() == trained.clf.get_params()


def test_subclass_and_rasa_agree_after_loading(tmp_path):
    X, y = _data(3)
    probe = sp.random(40, 500, density=0.03, random_state=9, format="csr")
    results = []
    for component_class in (ArrayLogisticRegressionClassifier, LogisticRegressionClassifier):
        (tmp_path / component_class.__name__).mkdir()
        storage = LocalModelStorage(tmp_path / component_class.__name__)
        resource, context = Resource("lr"), ExecutionContext(GraphSchema({}), node_name="lr")
        component = component_class.create(CONFIG, storage, resource, context)
        component.clf.fit(X, y)
        component.persist()
        results.append(component_class.load(CONFIG, storage, resource, context).clf.predict_proba(probe))
    assert np.array_equal(results[0], results[1])


def test_a_missing_model_loads_untrained_like_rasa(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), node_name="lr")
    component = ArrayLogisticRegressionClassifier.load(CONFIG, storage, Resource("missing"), context)
    assert not hasattr(component.clf, "coef_")
