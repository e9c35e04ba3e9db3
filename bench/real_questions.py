"""Questions real people wrote (bench/data/real/questions_*.yml) against a running assistant.

Each question goes into a fresh conversation and its reply falls in one of four outcomes:
`answer:<id>` (a cited knowledge-base entry), `did_you_mean` (suggestion buttons), `decline`
(a fallback without suggestions) or `none` (no knowledge-base turn at all, e.g. a greeting).

Per language and split:
- right entry: in-scope questions answered with their labelled entry;
- out of scope handled: `decline` items declined or offered did-you-mean;
- confident wrong: `decline` items answered with a cited entry (the figure the issue limits to
  1 per 100), and in-scope items answered with a wrong entry;
- did-you-mean rate: items of either kind that got suggestion buttons.

`make bench` calls `measure()` on the frozen `test` split. For tuning, run it on `dev` alone:

    python -m bench.real_questions --split dev              # trains nothing; uses models/advisor.tar.gz
    python -m bench.real_questions --split dev --errors     # item by item (refused for `test`)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import aiohttp

from bench import real_corpus
from bench.client import say

SUGGESTION_PREFIXES = ("/ask_", "/faq_")


def outcome(messages: List[Dict[str, Any]]) -> str:
    """What one reply did: `answer:<id>`, `did_you_mean`, `decline` or `none`."""
    for message in messages:
        if any(str(button.get("payload", "")).startswith(SUGGESTION_PREFIXES) for button in message.get("buttons") or []):
            return "did_you_mean"
    for message in messages:
        custom = message.get("custom") or {}
        if "source" in custom:
            return f"answer:{custom['source']['id']}" if custom["source"] else "decline"
    return "none"


async def ask_all(url: str, items: List[real_corpus.Item], prefix: str = "real") -> List[str]:
    outcomes = []
    async with aiohttp.ClientSession() as session:
        for i, item in enumerate(items):
            _, messages = await say(session, url, f"{prefix}-{item.lang}-{i}", item.text)
            outcomes.append(outcome(messages))
    return outcomes


def parse_all(model: Path, items: List[real_corpus.Item]) -> List[str]:
    """The NLU's top intents and entities for each item (for reading dev misses), in this process."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse() -> List[str]:
        found = []
        for item in items:
            parsed = await agent.parse_message(item.text)
            ranking = parsed.get("intent_ranking") or []
            found.append(" ".join(f"{r['name']}:{r['confidence']:.2f}" for r in ranking[:3])
                         + " | " + ",".join(f"{e['entity']}={e['value']}" for e in parsed.get("entities") or []))
        return found

    return asyncio.run(parse())


def summarise(items: Iterable[real_corpus.Item], outcomes: Iterable[str]) -> Dict[str, Dict[str, Any]]:
    """Figures per language from items and their outcomes."""
    counts: Dict[str, Counter] = defaultdict(Counter)
    for item, got in zip(items, outcomes):
        c = counts[item.lang]
        c["dym"] += got == "did_you_mean"
        c["total"] += 1
        if item.label == "decline":
            c["oos"] += 1
            c["oos_declined"] += got in ("decline", "none")
            c["oos_dym"] += got == "did_you_mean"
            c["oos_wrong"] += got.startswith("answer:")
        else:
            c["in"] += 1
            c["in_right"] += got == f"answer:{item.label}"
            c["in_dym"] += got == "did_you_mean"
            c["in_declined"] += got in ("decline", "none")
            c["in_wrong"] += got.startswith("answer:") and got != f"answer:{item.label}"
    out = {}
    for lang, c in sorted(counts.items()):
        out[lang] = {
            **dict(c),
            "right_entry": c["in_right"] / c["in"] if c["in"] else float("nan"),
            "oos_handled": (c["oos_declined"] + c["oos_dym"]) / c["oos"] if c["oos"] else float("nan"),
            "oos_confident_wrong_per_100": 100 * c["oos_wrong"] / c["oos"] if c["oos"] else float("nan"),
            "dym_rate": c["dym"] / c["total"] if c["total"] else float("nan"),
        }
    return out


def measure(url: str, split: str = "test") -> Dict[str, Any]:
    """The figures of one running assistant on one split of the real question corpus (both languages)."""
    items = [i for lang in real_corpus.LANGUAGES for i in real_corpus.load("questions", lang, split)]
    outcomes = asyncio.run(ask_all(url, items, prefix=f"real-{split}"))
    return {"split": split, "by_language": summarise(items, outcomes)}


def report_rows(results: Dict[str, Any], assistants: List[str]) -> List[List[str]]:
    """Rows for bench/run.py's table: one line per figure and language, one column per assistant."""
    rows = []
    labels = [
        ("right entry", "right_entry", "{:.1f} %", 100, "in_right", "in"),
        ("out of scope declined or did-you-mean", "oos_handled", "{:.1f} %", 100, None, "oos"),
        ("out of scope answered (confidently wrong)", "oos_wrong", "{:d}", 1, None, "oos"),
        ("in scope answered with a wrong entry", "in_wrong", "{:d}", 1, None, "in"),
        ("did-you-mean rate", "dym_rate", "{:.1f} %", 100, None, "total"),
    ]
    for lang in real_corpus.LANGUAGES:
        for label, key, fmt, scale, _, total_key in labels:
            cells = []
            for name in assistants:
                figures = (results["assistants"][name].get("real_questions") or {}).get("by_language", {}).get(lang)
                if not figures:
                    cells.append("n/a")
                    continue
                value = figures.get(key, 0)
                cells.append((fmt.format(value * scale) if "%" in fmt else fmt.format(int(value)))
                             + f" (n={figures.get(total_key, 0)})")
            rows.append([f"real questions, test split ({lang}): {label}"] + cells)
    return rows


def _print(summary: Dict[str, Dict[str, Any]]) -> None:
    for lang, f in summary.items():
        print(f"{lang}: right entry {100 * f['right_entry']:.1f} % ({f.get('in_right', 0)}/{f.get('in', 0)}), "
              f"in-scope wrong {f.get('in_wrong', 0)}, in-scope dym {f.get('in_dym', 0)}, in-scope declined {f.get('in_declined', 0)}; "
              f"out of scope handled {100 * f['oos_handled']:.1f} % ({f.get('oos_declined', 0)} declined + {f.get('oos_dym', 0)} dym"
              f" / {f.get('oos', 0)}), confidently wrong {f.get('oos_wrong', 0)}; dym rate {100 * f['dym_rate']:.1f} %")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev", choices=real_corpus.SPLITS)
    parser.add_argument("--lang", choices=real_corpus.LANGUAGES)
    parser.add_argument("--model", type=Path, help="a trained model (default: models/advisor.tar.gz)")
    parser.add_argument("--url", help="an assistant that is already running (skips starting one)")
    parser.add_argument("--errors", action="store_true", help="list every miss (not for the frozen test split)")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    args = parser.parse_args(argv)
    if args.errors and args.split == "test":
        parser.error("the test split is reported, never read item by item: tune on dev")

    from bench.servers import MODEL, start_assistant, stop_assistant

    items = [i for lang in real_corpus.LANGUAGES if args.lang in (None, lang)
             for i in real_corpus.load("questions", lang, args.split)]
    assistant = None
    url = args.url
    if not url:
        assistant = start_assistant(Path(tempfile.mkdtemp(prefix="advisor-real-")), model=args.model or MODEL)
        url = assistant.url
    try:
        outcomes = asyncio.run(ask_all(url, items, prefix=f"real-{args.split}"))
    finally:
        if assistant:
            stop_assistant(assistant)
    _print(summarise(items, outcomes))
    if args.errors:
        parses = parse_all(args.model or MODEL, items)
        for item, got, parse in zip(items, outcomes, parses):
            right = got == f"answer:{item.label}" or (item.label == "decline" and not got.startswith("answer:"))
            if not right:
                print(f"  [{item.lang}] expect {item.label:32} got {got:34} {item.text[:100]}\n      {parse}")
    if args.json:
        args.json.write_text(json.dumps([{"text": i.text, "label": i.label, "got": g} for i, g in zip(items, outcomes)],
                                        ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
