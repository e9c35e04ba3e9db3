"""The real-language corpus keeps its rules: sources, labels, split by source, a frozen test split
that never reaches the training data."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bench import real_corpus

PROJECT_DIR = Path(__file__).resolve().parents[2]
ASPECTS = "overview|definition|goals|scope|tools|team|budget|evaluation|combining"
QUESTION_LABEL = re.compile(rf"^(({ASPECTS})/(sales|marketing|both)|faq/[a-z_]+|decline)$")
GOAL_LABELS = {"sales", "marketing", "both", "unclear"}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.findall(r"\w+", text))


def _faq_ids() -> set:
    faq = yaml.safe_load((PROJECT_DIR / "knowledge/content/faq.yml").read_text(encoding="utf-8"))
    return {entry["id"] for entry in faq["entries"]}


ITEMS = real_corpus.load_all()


def test_every_item_has_a_source_a_label_and_the_split_of_its_source():
    for item in ITEMS:
        assert item.text.strip(), item
        assert re.match(r"^https?://[^\s/]+\.[^\s]+", item.source), item
        assert item.split == real_corpus.split_for(item.source), item
        if item.kind == "questions":
            assert QUESTION_LABEL.match(item.label), item
        else:
            assert item.label in GOAL_LABELS, item


def test_faq_labels_name_existing_entries():
    known = _faq_ids()
    for item in ITEMS:
        if item.kind == "questions" and item.label.startswith("faq/") and known:
            assert item.label in known, item


def test_the_test_split_is_frozen():
    digests = real_corpus.frozen()
    if not digests:
        pytest.skip("no test split has been frozen yet")
    for name, digest in digests.items():
        kind, lang = name.split("_")
        assert real_corpus.test_split_digest(kind, lang) == digest, (
            f"bench/data/real/{name}.yml: test items changed after the split was frozen"
        )


def test_no_dev_or_test_item_reaches_the_training_data():
    held_out = {_normalise(i.text) for i in ITEMS if i.split != "train"}
    leaked = []
    for path in sorted((PROJECT_DIR / "data").rglob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("- "):
                if _normalise(line[2:]) in held_out:
                    leaked.append(f"{path.relative_to(PROJECT_DIR)}: {line}")
    classifier = (PROJECT_DIR / "knowledge/content/classifier.yml").read_text(encoding="utf-8")
    for text in held_out:
        if len(text.split()) >= 4 and text in _normalise(classifier):
            leaked.append(f"knowledge/content/classifier.yml: {text}")
    assert not leaked, leaked
