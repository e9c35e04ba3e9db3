"""bench/real_goals.py: per-language accuracy on the real goal statements, misses only for tuning splits."""

from __future__ import annotations

import pytest

from bench import real_corpus
from bench.real_goals import evaluate, report


@pytest.fixture(scope="module")
def results():
    if not real_corpus.load("goals", "pl") or not real_corpus.load("goals", "en"):
        pytest.skip("no real goal corpus")
    return evaluate(splits=("test", "dev", "train"))


def test_every_split_and_language_is_counted(results):
    for split in ("test", "dev", "train"):
        for lang in real_corpus.LANGUAGES:
            stats = results[split][lang]
            assert stats["total"] == len(real_corpus.load("goals", lang, split))
            assert 0 <= stats["correct"] <= stats["total"]
            assert stats["accuracy"] == pytest.approx(stats["correct"] / stats["total"])
            assert sum(stats["confusion"].values()) == stats["total"]


def test_test_split_errors_are_never_listed(results):
    assert {miss["split"] for miss in results["misses"]} <= {"train", "dev"}
    wrong = sum(v["total"] - v["correct"] for split in ("train", "dev") for v in results[split].values())
    assert len(results["misses"]) == wrong


def test_report_names_the_frozen_test_split(results):
    text = report(results)
    assert "test (frozen)" in text and "dev (tuning split)" in text
    for lang in real_corpus.LANGUAGES:
        assert f"{lang} " in text
