"""Rasa's CountVectorsFeaturizer without the per-token (sequence) features nobody here reads.

For every message Rasa's CountVectorsFeaturizer computes two matrices: one row per token (the
sequence features, which DIET and TED read) and one row for the whole text (the sentence
features). In this pipeline (bot/config.yml) the only reader of either is the logistic
regression intent classifier, and it reads the sentence features alone (Rasa's
`LogisticRegressionClassifier._create_X`). The sequence matrix, a second scikit-learn transform
per message and featurizer that `Message.get_sparse_features` then copies and stacks, was
computed for nobody. This subclass computes the sentence row exactly as Rasa does (same
vectorizer, same joined text, same sorted COO matrix) and leaves the sequence features out; it
trains and persists like Rasa's component. tests/unit/test_sentence_featurizer.py checks the
rows against Rasa's on the project's training data and pins the Rasa source it mirrors.

Put a component that reads sequence features (DIET, TED, a CRF entity extractor) in the
pipeline and it must get Rasa's CountVectorsFeaturizer back.
"""

from __future__ import annotations

from typing import List, Optional, Text, Tuple

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """`CountVectorsFeaturizer` giving sentence features only."""

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Optional[scipy.sparse.spmatrix]], List[Optional[scipy.sparse.spmatrix]]]:
        if not self.vectorizers.get(attribute):
            return [None], [None]
        sentence_features: List[Optional[scipy.sparse.spmatrix]] = []
        for tokens in all_tokens:
            if not tokens or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(None)
                continue
            sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
            sentence.sort_indices()
            sentence_features.append(sentence.tocoo())
        return [None] * len(all_tokens), sentence_features
