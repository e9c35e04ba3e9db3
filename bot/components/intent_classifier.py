"""Rasa's LogisticRegressionClassifier, saved as plain arrays instead of through skops.

Rasa 3.6.21 saves the fitted scikit-learn model with `skops.io` (a safe format: no pickle).
Importing `skops.io` builds its list of trusted types by looking up every public type of
scikit-learn, NumPy and SciPy among *all* loaded modules; in a Rasa process, which has
TensorFlow and its 5,000 modules loaded, that import alone costs about 6 s of CPU (0.85 s
without TensorFlow): a quarter of a cold training, and again when a server loads the model.

This subclass trains, predicts and ranks exactly like Rasa's component (it only overrides
`persist` and `load`). What a fitted logistic regression needs for prediction is its
coefficients, intercepts and class labels: they are written with `numpy.savez` and read with
`allow_pickle=False`, so loading a model file still executes nothing from it. The estimator's
hyper-parameters come from the component config, as in Rasa. tests/unit/test_intent_classifier.py
checks identical probabilities against Rasa's own save/load, and pins the Rasa source it mirrors.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

logger = logging.getLogger(__name__)

ARRAYS_FILE = "logistic_regression.npz"
META_FILE = "logistic_regression.json"
FORMAT_VERSION = 1


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` persisted as NumPy arrays (no skops import)."""

    def persist(self) -> None:
        clf = self.clf
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / ARRAYS_FILE, coef=clf.coef_, intercept=clf.intercept_,
                     classes=np.asarray(clf.classes_, dtype=str), n_iter=np.asarray(clf.n_iter_))
            (model_dir / META_FILE).write_text(json.dumps({
                "format": FORMAT_VERSION,
                "params": {k: v for k, v in clf.get_params().items() if isinstance(v, (str, int, float, bool, type(None)))},
            }))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ArrayLogisticRegressionClassifier":
        try:
            with model_storage.read_from(resource) as model_dir:
                meta = json.loads((model_dir / META_FILE).read_text())
                if meta.get("format") != FORMAT_VERSION:
                    raise ValueError(f"unknown format {meta.get('format')!r}")
                with np.load(model_dir / ARRAYS_FILE, allow_pickle=False) as arrays:
                    component = cls(config, execution_context.node_name, model_storage, resource)
                    clf = component.clf
                    clf.set_params(**{k: v for k, v in meta["params"].items() if k in clf.get_params()})
                    clf.coef_ = arrays["coef"]
                    clf.intercept_ = arrays["intercept"]
                    clf.classes_ = arrays["classes"]
                    clf.n_iter_ = arrays["n_iter"]
                    clf.n_features_in_ = clf.coef_.shape[1]
                return component
        except (ValueError, FileNotFoundError, KeyError) as error:
            # as Rasa: a component without a trained model starts untrained
            logger.debug(f"Failed to load {cls.__name__} from model storage ({error}).")
            return cls.create(config, model_storage, resource, execution_context)
