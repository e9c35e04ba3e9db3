"""`make bench`: the plan advisor against a bot with Rasa's default pipeline, in the same run.

Both assistants use the same domain, training data, action server code and knowledge base;
only the NLU pipeline and policies differ (bot/config.yml versus bench/default_config.yml,
which is what `rasa init` writes). This machine is shared and noisy, so compare the ratios.

Prints tables and writes bench/results/latest.json. All traffic stays on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from statistics import median
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import yaml

from bench import real_questions
from bench.client import answered_id, percentile, say
from bench.servers import MODEL, PROJECT_DIR, start_assistant, stop_assistant

DATA_DIR = PROJECT_DIR / "bench" / "data"
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
CACHE_DIR = PROJECT_DIR / "models" / "bench"
RASA = str(Path(sys.executable).parent / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
# Training times are measured cold: Rasa's training cache would otherwise reuse components.
TRAIN_ENV = {**ENV, "RASA_MAX_CACHE_SIZE": "0"}


# --- training --------------------------------------------------------------------------------
def train(config: Path, out_dir: Path, name: str) -> Tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run(
        [RASA, "train", "--config", str(config), "--domain", "bot/domain", "--data", "data",
         "--out", str(out_dir), "--fixed-model-name", name],
        cwd=PROJECT_DIR, env=TRAIN_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return out_dir / f"{name}.tar.gz", time.perf_counter() - started


def inputs_digest(config: Path) -> str:
    digest = hashlib.sha256(config.read_bytes())
    for folder in ("bot/domain", "data"):
        for file in sorted((PROJECT_DIR / folder).rglob("*.yml")):
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def default_model() -> Tuple[Path, Optional[float]]:
    """The default-pipeline model, trained once per version of the data (it takes minutes)."""
    config = PROJECT_DIR / "bench" / "default_config.yml"
    name = f"default-{inputs_digest(config)}"
    cached = CACHE_DIR / f"{name}.tar.gz"
    timings = CACHE_DIR / f"{name}.json"
    if cached.exists() and timings.exists():
        return cached, json.loads(timings.read_text())["train_seconds"]
    print("training the default-pipeline bot (DIET + TED, a few minutes)...", flush=True)
    model, seconds = train(config, CACHE_DIR, name)
    timings.write_text(json.dumps({"train_seconds": seconds}))
    return model, seconds


# --- measurements ----------------------------------------------------------------------------
def load_yaml(name: str) -> Any:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


async def accuracy(url: str) -> Dict[str, Any]:
    questions = load_yaml("questions.yml")["questions"]
    conversations = load_yaml("conversations.yml")["conversations"]
    by_lang: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    by_aspect: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    out_of_scope: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])  # declined, answered, total
    misses = []
    async with aiohttp.ClientSession() as session:
        for i, q in enumerate(questions):
            # a fresh conversation per question: no context from the previous one
            _, messages = await say(session, url, f"bench-q-{i}", q["text"])
            got = answered_id(messages)
            if q["expect"] == "decline":
                stats = out_of_scope[q["lang"]]
                stats[2] += 1
                stats[0] += got == "decline"
                stats[1] += got not in (None, "decline")
                if got not in (None, "decline"):
                    misses.append({"text": q["text"], "expect": "decline", "got": got})
                continue
            ok = got == q["expect"]
            aspect = q["expect"].split("/")[0] if not q["expect"].startswith("faq/") else q["expect"]
            for bucket in (by_lang[q["lang"]], by_aspect[f'{q["lang"]} {aspect}']):
                bucket[0] += ok
                bucket[1] += 1
            if not ok:
                misses.append({"text": q["text"], "expect": q["expect"], "got": got})
        follow = defaultdict(lambda: [0, 0])
        for i, conversation in enumerate(conversations):
            for turn in conversation["turns"]:
                _, messages = await say(session, url, f"bench-c-{i}", turn["text"])
                got = answered_id(messages)
                follow[conversation["lang"]][0] += got == turn["expect"]
                follow[conversation["lang"]][1] += 1
                if got != turn["expect"]:
                    misses.append({"text": turn["text"], "expect": turn["expect"], "got": got, "conversation": i})
    return {
        "in_scope": {lang: {"correct": c, "total": t, "accuracy": c / t} for lang, (c, t) in by_lang.items()},
        "by_aspect": {key: {"correct": c, "total": t} for key, (c, t) in sorted(by_aspect.items())},
        "out_of_scope": {
            lang: {"declined": d, "answered": a, "total": t, "decline_rate": d / t}
            for lang, (d, a, t) in out_of_scope.items()
        },
        "conversations": {lang: {"correct": c, "total": t, "accuracy": c / t} for lang, (c, t) in follow.items()},
        "misses": misses,
    }


def bench_texts() -> List[str]:
    return [q["text"] for q in load_yaml("questions.yml")["questions"]]


async def sequential_latency(url: str, count: int) -> Dict[str, float]:
    texts = bench_texts()
    timings = []
    async with aiohttp.ClientSession() as session:
        for i in range(count):
            seconds, _ = await say(session, url, f"bench-lat-{i // 10}", texts[i % len(texts)])
            timings.append(seconds * 1000)
    return {"median_ms": median(timings), "p95_ms": percentile(timings, 95), "count": count}


async def throughput(url: str, conversations: int, seconds: float, sender_prefix: str = "bench-load") -> Dict[str, float]:
    texts = bench_texts()
    deadline = time.perf_counter() + seconds
    timings: List[float] = []
    errors = 0

    async def conversation(n: int) -> None:
        nonlocal errors
        turn = 0
        async with aiohttp.ClientSession() as session:
            while time.perf_counter() < deadline and turn < 1000:
                try:
                    elapsed, _ = await say(session, url, f"{sender_prefix}-{n}-{turn // 10}", texts[(n * 7 + turn) % len(texts)])
                    timings.append(elapsed * 1000)
                except Exception:
                    errors += 1
                turn += 1

    started = time.perf_counter()
    await asyncio.gather(*(conversation(n) for n in range(conversations)))
    wall = time.perf_counter() - started
    return {
        "messages_per_s": len(timings) / wall,
        "median_ms": median(timings) if timings else float("nan"),
        "p95_ms": percentile(timings, 95),
        "p99_ms": percentile(timings, 99),
        "errors": errors,
        "messages": len(timings),
    }


def rss_mb(pid: int) -> float:
    """The resident memory of a process, 0 when it has ended (bench/ab.py reads Sanic's workers)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def measure_assistant(name: str, model: Path, args: argparse.Namespace, work: Path) -> Dict[str, Any]:
    print(f"measuring {name}...", flush=True)
    assistant = start_assistant(work / name, model=model)
    try:
        result = {} if args.skip_accuracy else {"accuracy": asyncio.run(accuracy(assistant.url))}
        if not args.skip_accuracy:
            result["real_questions"] = real_questions.measure(assistant.url, "test")  # bench/real_questions.py
        result["latency"] = asyncio.run(sequential_latency(assistant.url, args.latency_messages))
        result["load"] = asyncio.run(throughput(assistant.url, args.concurrency, args.load_seconds))
        result["memory_mb"] = rss_mb(assistant.server_pid)
        if args.curve_seconds:  # msg/s and p95 against 1..100 concurrent conversations (bench/targets.py)
            from bench.targets import throughput_curve
            result["curve"] = throughput_curve(assistant.url, seconds=args.curve_seconds)
    finally:
        stop_assistant(assistant)
    return result


def measure_two_workers(model: Path, args: argparse.Namespace, work: Path) -> Dict[str, Any]:
    """The embedded advisor with two Sanic workers and the SQLite lock file (README, deployment):
    the same load as `measure_assistant`'s, and the memory of every process of the server."""
    from bench.ab import process_tree, pss_mb

    print("measuring advisor with two Sanic workers (embedded, SQLite lock file)...", flush=True)
    directory = work / "advisor-two-workers"
    directory.mkdir(parents=True, exist_ok=True)
    assistant = start_assistant(directory, {"SANIC_WORKERS": "2", "LOCK_STORE_URL": f"sqlite:///{directory / 'locks.db'}"},
                                model=model)
    try:
        asyncio.run(throughput(assistant.url, 10, 5))  # both workers load their lazy parts
        result: Dict[str, Any] = {"load": asyncio.run(throughput(assistant.url, args.concurrency, args.load_seconds))}
        processes = process_tree(assistant.server_pid)
        result["memory_mb_each"] = [round(rss_mb(pid)) for pid in processes]
        result["memory_mb"] = sum(rss_mb(pid) for pid in processes)
        result["memory_pss_mb"] = sum(pss_mb(pid) for pid in processes)
    finally:
        stop_assistant(assistant)
    return result


def classifier_accuracy() -> Dict[str, Any]:
    from knowledge.classifier import GoalClassifier
    from knowledge.loader import read_content
    from language.lemmatizer import get_lemmatizer

    rules = read_content(PROJECT_DIR / "knowledge" / "content").documents["classifier"]
    classifier = GoalClassifier(rules, get_lemmatizer())
    totals: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for goal in load_yaml("goals.yml")["goals"]:
        got = classifier.classify(goal["text"], goal["lang"]).plan
        totals[goal["lang"]][0] += got == goal["expect"]
        totals[goal["lang"]][1] += 1
        if got != goal["expect"]:
            misses.append({"text": goal["text"], "expect": goal["expect"], "got": got})
    return {"by_language": {l: {"correct": c, "total": t, "accuracy": c / t} for l, (c, t) in totals.items()},
            "misses": misses}


# --- report ----------------------------------------------------------------------------------
def table(rows: List[List[str]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def report(results: Dict[str, Any]) -> str:
    out = []
    assistants = [name for name in ("advisor", "rasa-default") if name in results["assistants"]]
    rows = [["metric"] + assistants + (["advisor / default"] if len(assistants) == 2 else [])]

    def add(label: str, getter, fmt: str = "{:.1f}", ratio: bool = True) -> None:
        values = [getter(results["assistants"][name]) for name in assistants]
        row = [label] + [fmt.format(v) for v in values]
        if len(values) == 2:
            row.append(f"{values[0] / values[1]:.2f}" if ratio and values[1] else "")
        rows.append(row)

    for lang in (("pl", "en") if all("accuracy" in results["assistants"][n] for n in assistants) else ()):
        add(f"accuracy, self-written held-out questions ({lang})", lambda r, l=lang: 100 * r["accuracy"]["in_scope"][l]["accuracy"], "{:.1f} %", False)
        add(f"self-written out of scope declined ({lang})", lambda r, l=lang: 100 * r["accuracy"]["out_of_scope"][l]["decline_rate"], "{:.1f} %", False)
        add(f"follow-up conversations ({lang})", lambda r, l=lang: 100 * r["accuracy"]["conversations"][l]["accuracy"], "{:.1f} %", False)
    add("latency median, 1 conversation (ms)", lambda r: r["latency"]["median_ms"])
    add("latency p95, 1 conversation (ms)", lambda r: r["latency"]["p95_ms"])
    add(f"throughput, {results['settings']['concurrency']} conversations (msg/s)", lambda r: r["load"]["messages_per_s"])
    add("latency median under load (ms)", lambda r: r["load"]["median_ms"])
    add("latency p95 under load (ms)", lambda r: r["load"]["p95_ms"])
    add("errors under load", lambda r: r["load"]["errors"], "{:d}", False)
    add("Rasa server memory (MB)", lambda r: r["memory_mb"])
    add("training time (s)", lambda r: r["train_seconds"] or float("nan"))
    out.append(table(rows))
    out.append("\nReal questions copied from public pages (frozen test split, bench/real_questions.py):")
    out.append(table([["figure"] + assistants] + real_questions.report_rows(results, assistants)))

    advisor = results["assistants"]["advisor"].get("accuracy")
    if advisor:
        out.append("\nAdvisor accuracy per aspect (self-written held-out questions):")
        out.append(table([["language aspect", "correct", "total"]] + [
            [key, str(v["correct"]), str(v["total"])] for key, v in advisor["by_aspect"].items()
        ]))
    goals = results["classifier"]["by_language"]
    out.append("\nGoal classifier on self-written held-out goals (bench/data/goals.yml): " + ", ".join(
        f"{lang} {100 * v['accuracy']:.1f} % ({v['correct']}/{v['total']})" for lang, v in sorted(goals.items())))
    if results.get("classifier_real"):
        from bench.real_goals import report as real_goals_report
        out.append(real_goals_report(results["classifier_real"]))
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-default", action="store_true", help="do not measure the default-pipeline bot")
    parser.add_argument("--latency-messages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--load-seconds", type=float, default=25.0)
    parser.add_argument("--curve-seconds", type=float, default=15.0,
                        help="seconds per point of the throughput curve (0: skip the curve)")
    parser.add_argument("--skip-cli", action="store_true", help="do not time the advisor CLI commands")
    parser.add_argument("--skip-accuracy", action="store_true", help="performance figures only")
    parser.add_argument("--skip-train", action="store_true", help="do not time a cold training of the advisor")
    parser.add_argument("--skip-deployments", action="store_true", help="do not run bench/load.py's deployments")
    parser.add_argument("--skip-workers", action="store_true",
                        help="do not measure the embedded advisor with two Sanic workers")
    parser.add_argument("--conversation-turns", type=int, default=400,
                        help="turns of bench/conversation_length.py's long conversation (0: skip it)")
    parser.add_argument("--report-events", type=int, default=100_000,
                        help="events of bench/report_bench.py's generated tracker store (0: skip it)")
    args = parser.parse_args(argv)

    results: Dict[str, Any] = {"settings": vars(args), "assistants": {}}
    work = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    try:
        from bench.targets import _children_cpu
        advisor_train = advisor_train_cpu = None
        if not args.skip_train:
            print("training the advisor from scratch (timed)...", flush=True)
            cpu_before = _children_cpu()
            _, advisor_train = train(PROJECT_DIR / "bot" / "config.yml", work / "models", "advisor-bench")
            advisor_train_cpu = _children_cpu() - cpu_before
        results["assistants"]["advisor"] = measure_assistant("advisor", MODEL, args, work)
        results["assistants"]["advisor"]["train_seconds"] = advisor_train
        results["assistants"]["advisor"]["train_cpu_seconds"] = advisor_train_cpu
        if not args.skip_workers:
            results["assistants"]["advisor-two-workers"] = measure_two_workers(MODEL, args, work)
        if not args.skip_cli:
            from bench.targets import cli_timings
            print("timing the advisor CLI...", flush=True)
            results["cli"] = cli_timings()
        if not args.skip_default:
            model, seconds = default_model()
            results["assistants"]["rasa-default"] = measure_assistant("rasa-default", model, args, work)
            results["assistants"]["rasa-default"]["train_seconds"] = seconds
        results["classifier"] = classifier_accuracy()
        from bench.real_goals import evaluate as real_goals  # the real goal statements, test and dev
        results["classifier_real"] = real_goals()
        if not args.skip_deployments:  # embedded, PostgreSQL + Redis with one and two Rasa servers
            from bench.load import bench_deployments
            results["deployments"] = bench_deployments(args.concurrency, args.load_seconds, work)
        if args.conversation_turns:  # latency against conversation length, advisor against stock Rasa
            from bench.conversation_length import measure as conversation_length
            results["conversation_length"] = conversation_length(work / "length", args.conversation_turns)
        if args.report_events:  # `advisor report` on a generated tracker store, SQLite and PostgreSQL
            from bench.report_bench import measure as report_bench
            results["report"] = report_bench(work / "report", args.report_events)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    from bench.targets import chart, figures, figures_table

    results["figures"] = figures(results)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    curves = {name: r["curve"] for name, r in results["assistants"].items() if r.get("curve")}
    print()
    print("Issue 13, performance (one run; ratios against the default bot measured in this run):")
    print(figures_table(results["figures"]))
    if curves:
        print(f"Throughput curve: {chart(curves, RESULTS_DIR / 'throughput.png')}")
    print()
    print(report(results))
    if results.get("deployments"):
        from bench.load import table as deployments_table
        print("\nLoad by deployment (bench/load.py):\n" + deployments_table(results["deployments"]))
    if results.get("conversation_length"):
        from bench.conversation_length import report as conversation_length_report
        print("\n" + conversation_length_report(results["conversation_length"]))
    if results.get("report"):
        from bench.report_bench import report as report_bench_table
        print("\n" + report_bench_table(results["report"]))
    print(f"\nFull results (with every miss): {RESULTS_DIR / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
