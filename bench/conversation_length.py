"""Latency against conversation length: one long conversation, the advisor against Rasa's stock loading.

One conversation of 400 turns (questions, follow-ups that rely on the previous answer, greetings,
thanks, help, in both languages: the held-out conversations of `bench/data/conversations.yml`
with glue turns between them) goes to two assistants that differ only in how the tracker store
loads a conversation:

- advisor: `bot.stores.AdvisorTrackerStore` as configured (a checkpoint and a window of recent
  events per turn),
- stock: the same class with `ADVISOR_TRACKER_WINDOW=0`, which is Rasa's `SQLTrackerStore`
  (the whole current session on every message).

Turns alternate between the two servers, so both see the same machine load; the table gives the
median and p95 per 100 turns, on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL, and how many
replies of the two assistants named the same knowledge-base entry.

    .venv/bin/python -m bench.conversation_length [--turns 400] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from statistics import median
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import yaml

from bench.client import answered_id, percentile, say
from bench.servers import MODEL, PROJECT_DIR, ServiceUnavailable, start_assistant, stop_assistant

DATA_DIR = PROJECT_DIR / "bench" / "data"
BLOCK = 100
VARIANTS = {"advisor": {}, "stock": {"ADVISOR_TRACKER_WINDOW": "0"}}
GLUE = {
    "pl": {"greet": ["dzień dobry", "cześć", "hej"], "thank": ["dzięki", "dziękuję bardzo", "super, dzięki"],
           "help": ["co potrafisz?"]},
    "en": {"greet": ["hello", "hi there", "good morning"], "thank": ["thanks a lot", "thank you", "great, thanks"],
           "help": ["what can you do"]},
}


def script(turns: int) -> List[Tuple[str, Optional[str]]]:
    """`turns` (text, expected source id or None) pairs: conversations with glue between them."""
    conversations = yaml.safe_load((DATA_DIR / "conversations.yml").read_text(encoding="utf-8"))["conversations"]
    out: List[Tuple[str, Optional[str]]] = []
    n = 0
    while len(out) < turns:
        conversation = conversations[n % len(conversations)]
        glue = GLUE[conversation["lang"]]
        out.append((glue["greet"][n % 3], None))
        if n % 5 == 4:
            out.append((glue["help"][0], None))
        out.extend((turn["text"], turn["expect"]) for turn in conversation["turns"])
        out.append((glue["thank"][n % 3], None))
        n += 1
    return out[:turns]


def cpu_seconds(pids: List[int]) -> float:
    """User + system CPU time of these processes so far (robust to other load on the machine)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _block(timings: List[float], cpu: List[float], answers: List[Optional[str]], expected: List[Optional[str]],
           label: str) -> Dict[str, Any]:
    checked = [(a, e) for a, e in zip(answers, expected) if e]
    return {
        "turns": label,
        "median_ms": median(timings),
        "p95_ms": percentile(timings, 95),
        "cpu_ms_per_turn": 1000 * sum(cpu) / len(cpu),
        "expected_answers": sum(a == e for a, e in checked),
        "checked": len(checked),
    }


async def converse(assistants: Dict[str, Any], turns: List[Tuple[str, Optional[str]]], sender: str) -> Dict[str, Any]:
    """Send each turn to every assistant (alternating which goes first); time each reply.

    During the last block a new conversation runs alongside (its turns 1-100 interleaved with
    the long one's 301-400), so that their ratio does not depend on how busy the machine was.
    """
    names = list(assistants)
    pids = {name: [process.pid for process in assistants[name].processes] for name in names}
    long_runs: Dict[str, Dict[str, list]] = {name: {"ms": [], "cpu": [], "answers": []} for name in names}
    new_runs: Dict[str, Dict[str, list]] = {name: {"ms": [], "cpu": [], "answers": []} for name in names}
    alongside_from = max(0, len(turns) - BLOCK)

    async def one(session: aiohttp.ClientSession, name: str, conversation: str, text: str, into: Dict[str, list]) -> None:
        cpu_before = cpu_seconds(pids[name])
        seconds, messages = await say(session, assistants[name].url, conversation, text)
        into["cpu"].append(cpu_seconds(pids[name]) - cpu_before)
        into["ms"].append(seconds * 1000)
        into["answers"].append(answered_id(messages))

    async with aiohttp.ClientSession() as session:
        for i, (text, _) in enumerate(turns):
            for name in (names if i % 2 == 0 else names[::-1]):
                await one(session, name, sender, text, long_runs[name])
                if i >= alongside_from:
                    await one(session, name, f"{sender}-new", turns[i - alongside_from][0], new_runs[name])

    expected = [expect for _, expect in turns]
    result: Dict[str, Any] = {"turns": len(turns)}
    for name in names:
        run, new = long_runs[name], new_runs[name]
        blocks = [
            _block(run["ms"][start:start + BLOCK], run["cpu"][start:start + BLOCK], run["answers"][start:start + BLOCK],
                   expected[start:start + BLOCK], f"{start + 1}-{min(start + BLOCK, len(turns))}")
            for start in range(0, len(turns), BLOCK)
        ]
        result[name] = {
            "blocks": blocks,
            "alongside": _block(new["ms"], new["cpu"], new["answers"], expected[:len(new["ms"])],
                                f"new conversation 1-{len(new['ms'])}") if new["ms"] else None,
            "timings_ms": run["ms"],
            "answers": run["answers"],
        }
    if len(names) == 2:
        first, second = (long_runs[name]["answers"] for name in names)
        result["same_answers"] = sum(a == b for a, b in zip(first, second))
    return result


def _tracker_urls(store: str, work: Path, stack: ExitStack) -> Optional[Dict[str, str]]:
    if store == "sqlite":
        return {name: f"sqlite:///{work / store / name / 'tracker.db'}" for name in VARIANTS}
    if not os.environ.get("TEST_POSTGRES_URL"):
        return None
    from bench.servers import temporary_postgres_database

    return {name: stack.enter_context(temporary_postgres_database()) for name in VARIANTS}


def measure(work: Path, turns: int = 400, stores: Tuple[str, ...] = ("sqlite", "postgres"),
            model: Path = MODEL) -> Dict[str, Any]:
    """One long conversation per store; `{store: result}` (a skipped store: `{"skipped": why}`)."""
    results: Dict[str, Any] = {"turns": turns}
    for store in stores:
        with ExitStack() as stack:
            try:
                urls = _tracker_urls(store, work, stack)
            except ServiceUnavailable as error:  # no PostgreSQL here
                urls, why = None, str(error)
            else:
                why = "TEST_POSTGRES_URL is not set"
            if urls is None:
                results[store] = {"skipped": why}
                continue
            print(f"conversation length on {store}: {turns} turns, advisor and stock...", flush=True)
            running = {}
            try:
                for name, env in VARIANTS.items():
                    folder = work / store / name
                    folder.mkdir(parents=True, exist_ok=True)
                    running[name] = start_assistant(folder, extra_env={"TRACKER_STORE_URL": urls[name], **env},
                                                    model=model)
                results[store] = asyncio.run(converse(running, script(turns), f"long-{store}"))
            finally:
                for assistant in running.values():
                    stop_assistant(assistant)
    return results


def report(results: Dict[str, Any]) -> str:
    rows = [["store", "turns", "advisor median", "advisor p95", "advisor CPU", "stock median", "stock p95",
             "stock CPU", "advisor / stock"]]
    notes = []

    def row(store: str, a: Dict[str, Any], s: Dict[str, Any]) -> List[str]:
        return [store, a["turns"], f"{a['median_ms']:.0f} ms", f"{a['p95_ms']:.0f} ms", f"{a['cpu_ms_per_turn']:.0f} ms",
                f"{s['median_ms']:.0f} ms", f"{s['p95_ms']:.0f} ms", f"{s['cpu_ms_per_turn']:.0f} ms",
                f"{a['median_ms'] / s['median_ms']:.2f}"]

    def ratio(label: str, store: str, a: Tuple[Dict, Dict], s: Tuple[Dict, Dict]) -> List[str]:
        return [store, label, f"{a[0]['median_ms'] / a[1]['median_ms']:.2f} x", "",
                f"{a[0]['cpu_ms_per_turn'] / a[1]['cpu_ms_per_turn']:.2f} x",
                f"{s[0]['median_ms'] / s[1]['median_ms']:.2f} x", "",
                f"{s[0]['cpu_ms_per_turn'] / s[1]['cpu_ms_per_turn']:.2f} x", ""]

    for store in ("sqlite", "postgres"):
        result = results.get(store)
        if not result:
            continue
        if "skipped" in result:
            notes.append(f"{store}: skipped ({result['skipped']})")
            continue
        advisor, stock = result["advisor"], result["stock"]
        rows.extend(row(store, a, s) for a, s in zip(advisor["blocks"], stock["blocks"]))
        last = (advisor["blocks"][-1], stock["blocks"][-1])
        if advisor["alongside"]:
            rows.append(row(store, advisor["alongside"], stock["alongside"]))
        if len(advisor["blocks"]) > 1:
            rows.append(ratio(f"{last[0]['turns']} / {advisor['blocks'][0]['turns']}", store, (last[0], advisor["blocks"][0]),
                              (last[1], stock["blocks"][0])))
        if advisor["alongside"]:
            rows.append(ratio(f"{last[0]['turns']} / new conversation", store, (last[0], advisor["alongside"]),
                              (last[1], stock["alongside"])))
        correct = lambda blocks: f"{sum(b['expected_answers'] for b in blocks)}/{sum(b['checked'] for b in blocks)}"
        notes.append(f"{store}: replies naming the same knowledge-base entry in both: "
                     f"{result['same_answers']}/{result['turns']}; the held-out expected entry: advisor "
                     f"{correct(advisor['blocks'])}, stock {correct(stock['blocks'])}")
    if len(rows) == 1:
        return "Conversation length: not measured (" + "; ".join(notes) + ")"
    from bench.run import table

    title = (f"Conversation length: one conversation of {results['turns']} turns, per {BLOCK} turns: latency and "
             "CPU per turn (Rasa + action server). advisor: checkpoint + window of recent events per turn; "
             "stock: Rasa loads the whole session (ADVISOR_TRACKER_WINDOW=0). The new conversation's turns "
             "alternate with the last block's, so their ratio holds however busy the machine is.")
    return "\n".join([title, table(rows)] + notes)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="advisor-bench-length-"))
    try:
        results = measure(work, args.turns, tuple(args.stores.split(",")), args.model)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = PROJECT_DIR / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "conversation_length.json").write_text(json.dumps(results, indent=2))
    print()
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
