"""The real-language corpus: questions and goal statements copied verbatim from public pages.

Files (one per kind and language), each a YAML mapping with an `items` list:

    bench/data/real/questions_pl.yml  questions_en.yml   label: <aspect>/<plan> | faq/<id> | decline
    bench/data/real/goals_pl.yml      goals_en.yml       label: sales | marketing | both | unclear

    items:
      - text: "the sentence exactly as the page wrote it"
        label: budget/marketing
        source: https://example.com/the/page
        split: train            # = split_for(source): every item of one page in one split

Labels follow the rules of shared/seed/README.md. The split is decided by the source page alone
(a hash of its URL), so a page never straddles two splits. `test` is frozen: its digest is kept in
`bench/data/real/test.sha256` and checked by the tests; only `train` items may reach data/nlu/ or
the classifier's rules, `dev` is for tuning, `test` only for the report of `make bench`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List

import yaml

REAL_DIR = Path(__file__).resolve().parent / "data" / "real"
FROZEN_FILE = REAL_DIR / "test.sha256"
KINDS = ("questions", "goals")
LANGUAGES = ("pl", "en")
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Item:
    kind: str
    lang: str
    text: str
    label: str
    source: str
    split: str


def split_for(source: str) -> str:
    """train (60 %), dev (20 %) or test (20 %), decided by the source URL alone."""
    bucket = int(hashlib.sha256(source.strip().encode("utf-8")).hexdigest(), 16) % 10
    return "train" if bucket < 6 else "dev" if bucket < 8 else "test"


def corpus_file(kind: str, lang: str) -> Path:
    return REAL_DIR / f"{kind}_{lang}.yml"


def load(kind: str, lang: str, split: str | None = None) -> List[Item]:
    path = corpus_file(kind, lang)
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = [
        Item(kind=kind, lang=lang, text=str(entry["text"]), label=str(entry["label"]),
             source=str(entry["source"]), split=str(entry["split"]))
        for entry in raw.get("items") or []
    ]
    return [item for item in items if split is None or item.split == split]


def load_all(split: str | None = None) -> List[Item]:
    return [item for kind in KINDS for lang in LANGUAGES for item in load(kind, lang, split)]


def test_split_digest(items: Iterable[Item] | None = None) -> str:
    """A digest of every test item (kind, language, text, label, source), order-independent."""
    items = load_all("test") if items is None else [i for i in items if i.split == "test"]
    rows = sorted(json.dumps([i.kind, i.lang, i.text, i.label, i.source], ensure_ascii=False) for i in items)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def freeze() -> str:
    """Write the digest of the current test split (run once, when the test split is complete)."""
    digest = test_split_digest()
    FROZEN_FILE.write_text(digest + "\n", encoding="utf-8")
    return digest


def counts() -> Dict[str, int]:
    out: Dict[str, int] = {}
    for item in load_all():
        key = f"{item.kind}_{item.lang}_{item.split}"
        out[key] = out.get(key, 0) + 1
    return out


if __name__ == "__main__":  # python -m bench.real_corpus [freeze]
    import sys

    if sys.argv[1:] == ["freeze"]:
        print(freeze())
    else:
        print(json.dumps(counts(), indent=2, sort_keys=True))
