"""Fixtures and helpers for the goal classifier's tests: the classifier over the real rules, and the
check most of them make. Import the fixtures into a test module."""

from __future__ import annotations

from typing import List

import pytest

from knowledge.classifier import Classification, GoalClassifier
from knowledge.loader import read_content
from language.lemmatizer import get_lemmatizer
from tests.conftest import CONTENT_DIR


@pytest.fixture(scope="module")
def lemmatizer():
    return get_lemmatizer()


@pytest.fixture(scope="module")
def rules():
    return read_content(CONTENT_DIR).documents["classifier"]


@pytest.fixture(scope="module")
def classifier(rules, lemmatizer) -> GoalClassifier:
    return GoalClassifier(rules, lemmatizer)


def signals_of(result: Classification) -> List[str]:
    """The signals behind `result`, in the order of its reasons."""
    return [reason["signal"] for reason in result.reasons]


def classified(classifier: GoalClassifier, goal: str, lang: str, plan: str, *signals: str) -> Classification:
    """The verdict on `goal`, asserted to be `plan` and to name each of `signals`."""
    result = classifier.classify(goal, lang)
    assert result.plan == plan, (goal, result.reasons)
    for signal in signals:
        assert signal in signals_of(result), (goal, result.reasons)
    return result
