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
(a hash of its URL), so a page never straddles two splits. `test` is frozen file by file: the digests are kept
in `bench/data/real/test.sha256` and checked by the tests; only `train` items may reach data/nlu/ or
the classifier's rules, `dev` is for tuning, `test` only for the report of `make bench`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import yaml

from language import LANGUAGES

REAL_DIR = Path(__file__).resolve().parent / "data" / "real"
FROZEN_FILE = REAL_DIR / "test.sha256"
KINDS = ("questions", "goals")
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


def test_split_digest(kind: str, lang: str) -> str:
    """A digest of one file's test items (text, label, source), independent of their order."""
    rows = sorted(
        json.dumps([i.text, i.label, i.source], ensure_ascii=False) for i in load(kind, lang, "test")
    )
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def frozen() -> Dict[str, str]:
    """`{"questions_pl": digest, ...}` for every file whose test split has been frozen."""
    if not FROZEN_FILE.exists():
        return {}
    pairs = (line.split() for line in FROZEN_FILE.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name: digest for name, digest in pairs}


def freeze(kind: str, lang: str) -> str:
    """Record the digest of one file's test split (once, when that file is complete)."""
    digests = frozen()
    name = f"{kind}_{lang}"
    if name in digests:
        raise SystemExit(f"{name}: the test split is already frozen; never change it")
    digests[name] = test_split_digest(kind, lang)
    FROZEN_FILE.write_text("".join(f"{k} {v}\n" for k, v in sorted(digests.items())), encoding="utf-8")
    return digests[name]


def counts() -> Dict[str, int]:
    out: Dict[str, int] = {}
    for item in load_all():
        key = f"{item.kind}_{item.lang}_{item.split}"
        out[key] = out.get(key, 0) + 1
    return out


if __name__ == "__main__":  # python -m bench.real_corpus [freeze KIND LANG]
    import sys

    if len(sys.argv) == 4 and sys.argv[1] == "freeze":  # python -m bench.real_corpus freeze questions pl
        print(freeze(sys.argv[2], sys.argv[3]))
    else:
        print(json.dumps(counts(), indent=2, sort_keys=True))
