"""Goal-classifier accuracy on the real goal statements (bench/data/real/goals_*.yml).

`make bench` reports the frozen `test` split per language (and `dev`, labelled as the tuning
split) next to the self-written set in bench/data/goals.yml. The classifier needs no Rasa
server, so this runs in seconds:

    .venv/bin/python -m bench.real_goals            # accuracy per split and language
    .venv/bin/python -m bench.real_goals --misses   # and the dev misses, for tuning

Misses are only ever listed for `train` and `dev`: the `test` split is reported as a number.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any, Dict, List, Optional

from bench import real_corpus

REPORTED_SPLITS = ("test", "dev")
MISS_SPLITS = ("train", "dev")


def build_classifier() -> Any:
    from knowledge.classifier import GoalClassifier
    from knowledge.loader import read_content
    from language.lemmatizer import get_lemmatizer
    from bench.servers import PROJECT_DIR

    rules = read_content(PROJECT_DIR / "knowledge" / "content").documents["classifier"]
    return GoalClassifier(rules, get_lemmatizer())


def evaluate(classifier: Any = None, splits: tuple = REPORTED_SPLITS) -> Dict[str, Any]:
    """`{"<split>": {"<lang>": {correct, total, accuracy, confusion}}, "misses": [...]}`.

    Misses are kept for the train and dev splits only.
    """
    classifier = classifier or build_classifier()
    result: Dict[str, Any] = {"misses": []}
    for split in splits:
        per_lang: Dict[str, Any] = {}
        for lang in real_corpus.LANGUAGES:
            items = real_corpus.load("goals", lang, split)
            if not items:
                continue
            correct = 0
            confusion: Counter = Counter()
            for item in items:
                got = classifier.classify(item.text, lang).plan
                correct += got == item.label
                confusion[f"{item.label}->{got}"] += 1
                if got != item.label and split in MISS_SPLITS:
                    result["misses"].append(
                        {"split": split, "lang": lang, "text": item.text, "expect": item.label, "got": got}
                    )
            per_lang[lang] = {"correct": correct, "total": len(items), "accuracy": correct / len(items),
                              "confusion": dict(sorted(confusion.items()))}
        result[split] = per_lang
    return result


def report(results: Dict[str, Any]) -> str:
    """One line per reported split, e.g. `real goals, test (frozen): pl 91.7 % (22/24), en ...`."""
    names = {"test": "test (frozen)", "dev": "dev (tuning split)", "train": "train (rule source)"}
    lines = []
    for split in ("test", "dev", "train"):
        if split not in results:
            continue
        parts = [f"{lang} {100 * v['accuracy']:.1f} % ({v['correct']}/{v['total']})"
                 for lang, v in results[split].items()]
        lines.append(f"Goal classifier on real goals, {names[split]}: " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list the misses of the train and dev splits")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    results = evaluate(splits=("test", "dev", "train"))
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    print(report(results))
    if args.misses:
        for miss in results["misses"]:
            print(f"[{miss['split']} {miss['lang']}] {miss['expect']:>9} <- {miss['got']:<9} {miss['text']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
