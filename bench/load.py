"""Load on the deployments a company may run: `python -m bench.load` (and part of `make bench`).

N virtual users talk at once for T seconds, each in its own conversations, doing what people do
here: questions with follow-ups (bench/data/conversations.yml) and whole plan-building sessions
(bench/data/load.yml), one after the other, with no pause between turns (closed loop: this
measures capacity). Each user stops at T seconds or after `--max-messages`, whichever first;
every request has a timeout. All traffic stays on loopback.

Deployments measured, each on fresh stores:
  embedded            SQLite tracker and knowledge base, in-memory lock store, one Rasa server
  postgres+redis x1   PostgreSQL tracker and knowledge base, Redis lock store, one Rasa server
  postgres+redis x2   the same with two Rasa servers behind a round-robin client (one action server)
  postgres+redis x1 w2  one Rasa server with SANIC_WORKERS=2 (two worker processes, one port)

PostgreSQL and Redis are this machine's (TEST_POSTGRES_URL, TEST_REDIS_URL; the defaults are
127.0.0.1): a database and a key prefix are made for the run and removed after it.
Prints a table (throughput, median, p95, p99 latency, errors) and writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

import aiohttp
import yaml

from bench.client import percentile

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "bench" / "data"
RESULTS_DIR = PROJECT_DIR / "bench" / "results"
DEPLOYMENTS = ("embedded", "postgres+redis x1", "postgres+redis x2", "postgres+redis x1 w2")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
REQUEST_TIMEOUT = 30.0


def sessions() -> List[List[str]]:
    """The scripted sessions, question-and-answer and plan building interleaved."""
    questions = yaml.safe_load((DATA_DIR / "conversations.yml").read_text(encoding="utf-8"))["conversations"]
    plans = yaml.safe_load((DATA_DIR / "load.yml").read_text(encoding="utf-8"))["plans"]
    qa = [[turn["text"] for turn in conversation["turns"]] for conversation in questions]
    built = [plan["turns"] for plan in plans]
    mixed: List[List[str]] = []
    for index, session in enumerate(qa):
        mixed.append(session)
        if index % 3 == 2:  # about a third of the turns are plan building
            mixed.append(built[(index // 3) % len(built)])
    return mixed


async def run_load(urls: Sequence[str], users: int, seconds: float, max_messages: int, tag: str) -> Dict[str, Any]:
    """`users` virtual users for `seconds`; messages go to `urls` in turn (round-robin)."""
    for url in urls:
        if urlsplit(url).hostname not in LOOPBACK:
            raise ValueError(f"the load generator only talks to loopback, not {url}")
    scripts = sessions()
    timings: List[float] = []
    errors: Dict[str, int] = {}
    silent = 0
    next_url = itertools.cycle(urls)
    deadline = time.perf_counter() + seconds

    async def user(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal silent
        sent = 0
        for run in itertools.count():
            script = scripts[(n + run * users) % len(scripts)]
            sender = f"load-{tag}-{n}-{run}"
            for text in script:
                if time.perf_counter() >= deadline or sent >= max_messages:
                    return
                sent += 1
                started = time.perf_counter()
                try:
                    async with session.post(f"{next(next_url)}/webhooks/rest/webhook",
                                            json={"sender": sender, "message": text}) as response:
                        body = await response.json(content_type=None)
                        if response.status != 200:
                            errors[f"HTTP {response.status}"] = errors.get(f"HTTP {response.status}", 0) + 1
                            continue
                except Exception as error:  # timeouts, refused connections: counted, never fatal
                    errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                    continue
                timings.append(time.perf_counter() - started)
                if not any((m.get("text") or "").strip() or m.get("custom") for m in body):
                    silent += 1

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=0)
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(user(n, session) for n in range(users)))
    wall = time.perf_counter() - started
    ms = [t * 1000 for t in timings]
    return {
        "users": users,
        "seconds": round(wall, 1),
        "messages": len(ms),
        "messages_per_s": len(ms) / wall if wall else 0.0,
        "median_ms": median(ms) if ms else float("nan"),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "silent_replies": silent,
    }


def _warm_up(urls: Sequence[str]) -> None:
    """One short session per server, so that lazy loading is not measured."""
    asyncio.run(run_load(urls, users=len(urls), seconds=15, max_messages=4, tag="warm"))


def _profile(pid: int, seconds: float, out: Path) -> Optional[subprocess.Popen]:
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        return None
    return subprocess.Popen([str(py_spy), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--format", "speedscope", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(args: argparse.Namespace, work: Path, model: Optional[Path] = None) -> List[Dict[str, Any]]:
    from bench.servers import (MODEL, Assistant, ServiceUnavailable, start_assistant, start_deployment, start_rasa_server,
                               stop_assistant, stop_deployment, temporary_postgres_database, temporary_redis_prefix)

    model = model or MODEL
    os.environ.setdefault("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    os.environ.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    rows: List[Dict[str, Any]] = []

    def run(name: str, servers: List[Any]) -> None:
        urls = [server.url for server in servers]
        _warm_up(urls)
        profiler = None
        if args.profile_dir:
            args.profile_dir.mkdir(parents=True, exist_ok=True)
            profiler = _profile(servers[0].server_pid, args.seconds,
                                args.profile_dir / f"{name.replace(' ', '_').replace('+', '-')}.speedscope.json")
        print(f"  {name}: {args.users} users for {args.seconds:.0f} s ...", flush=True)
        result = asyncio.run(run_load(urls, args.users, args.seconds, args.max_messages, tag=str(len(rows))))
        if profiler is not None:
            profiler.wait(timeout=args.seconds + 60)
        rows.append({"deployment": name, "rasa_servers": len(urls), **result})
        print(f"    {result['messages_per_s']:.1f} msg/s, median {result['median_ms']:.0f} ms, "
              f"p95 {result['p95_ms']:.0f} ms, errors {result['errors']}", flush=True)

    wanted = set(args.deployments)
    if "embedded" in wanted:
        print("starting the embedded deployment ...", flush=True)
        assistant = start_assistant(work / "embedded", model=model)
        try:
            run("embedded", [assistant])
        finally:
            stop_assistant(assistant)
    company = [name for name in DEPLOYMENTS[1:] if name in wanted]
    if company:
        print("starting the company deployment (PostgreSQL + Redis, two Rasa servers) ...", flush=True)
        with ExitStack() as stack:
            try:
                knowledge = stack.enter_context(temporary_postgres_database())
                tracker = stack.enter_context(temporary_postgres_database())
                lock = stack.enter_context(temporary_redis_prefix())
            except ServiceUnavailable as error:  # services missing
                print(f"  skipped: PostgreSQL or Redis is not reachable ({error})", flush=True)
                return rows
            servers = start_deployment(work / "company", {"KNOWLEDGE_DB_URL": knowledge, "TRACKER_STORE_URL": tracker,
                                                          "LOCK_STORE_URL": lock}, rasa_servers=2, model=model)
            try:
                if "postgres+redis x1" in wanted:
                    run("postgres+redis x1", servers[:1])
                if "postgres+redis x2" in wanted:
                    run("postgres+redis x2", servers)
                if "postgres+redis x1 w2" in wanted:  # the same stores, one server with two Sanic workers
                    stop_deployment(servers[1:])
                    workers = Assistant(url=servers[0].url, jwt_secret=servers[0].jwt_secret,
                                        env={**servers[0].env, "SANIC_WORKERS": "2"}, log_dir=servers[0].log_dir)
                    servers.append(start_rasa_server(workers, "rasa-workers", model=model))
                    run("postgres+redis x1 w2", servers[-1:])
            finally:
                stop_deployment(servers)
    return rows


def bench_deployments(users: int, seconds: float, work: Path) -> List[Dict[str, Any]]:
    """What `make bench` (bench/run.py) calls: every deployment, default settings otherwise."""
    args = argparse.Namespace(users=users, seconds=seconds, max_messages=1000, deployments=list(DEPLOYMENTS),
                              profile_dir=None)
    return measure(args, work)


def table(rows: List[Dict[str, Any]]) -> str:
    header = ["deployment", "Rasa servers", "users", "seconds", "messages", "msg/s", "median ms", "p95 ms", "p99 ms",
              "errors", "silent"]
    lines = [header] + [[
        row["deployment"], str(row["rasa_servers"]), str(row["users"]), f"{row['seconds']:.0f}", str(row["messages"]),
        f"{row['messages_per_s']:.1f}", f"{row['median_ms']:.0f}", f"{row['p95_ms']:.0f}", f"{row['p99_ms']:.0f}",
        str(row["errors"]) + (f" {row['error_kinds']}" if row["errors"] else ""), str(row["silent_replies"]),
    ] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in lines]
    out.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=50, help="concurrent conversations (default 50)")
    parser.add_argument("--seconds", type=float, default=20.0, help="load time per deployment (default 20)")
    parser.add_argument("--max-messages", type=int, default=1000, help="cap on messages per user (default 1000)")
    parser.add_argument("--deployments", nargs="+", default=list(DEPLOYMENTS), choices=DEPLOYMENTS)
    parser.add_argument("--profile-dir", type=Path, help="record a py-spy profile of the first Rasa server here")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    work = Path(tempfile.mkdtemp(prefix="advisor-load-"))
    try:
        rows = measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "load.json").write_text(json.dumps({"settings": {k: str(v) for k, v in vars(args).items()},
                                                       "deployments": rows}, indent=2))
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
