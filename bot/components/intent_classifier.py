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

It also builds the classifier's input matrix directly from each message's sentence features
(`_create_X`). Rasa's version asks the message for its combined sparse and dense features, which
deep-copies and stacks the sequence features too (only to drop them) and converts every row
through several scipy formats: on one message that took longer than the prediction itself. The
matrix is the same, value for value (tests/unit/test_sentence_featurizer.py compares it with
Rasa's on the project's featurized training data).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

ARRAYS_FILE = "logistic_regression.npz"
META_FILE = "logistic_regression.json"
FORMAT_VERSION = 1


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` persisted as NumPy arrays (no skops import)."""

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:  # noqa: N802 (Rasa's name)
        """One row per message: its text's sentence features, the sparse ones and then the dense
        ones, each in the order the featurizers added them (as Rasa's `_create_X` stacks them)."""
        data: List[np.ndarray] = []
        columns: List[np.ndarray] = []
        row_ends = [0]
        widths = set()
        for message in messages:
            sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            width, count = 0, 0
            for features in [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]:
                block = scipy.sparse.coo_matrix(features.features)
                data.append(block.data)
                columns.append(block.col + width)
                width += block.shape[1]
                count += block.nnz
            row_ends.append(row_ends[-1] + count)
            widths.add(width)
        if len(widths) > 1:
            raise ValueError(f"messages with sentence features of different widths: {sorted(widths)}")
        width = widths.pop() if widths else 0
        values = np.concatenate(data).astype(np.float64) if data else np.zeros(0)
        indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
        return scipy.sparse.csr_matrix((values, indices, np.asarray(row_ends)), shape=(len(messages), width))

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
