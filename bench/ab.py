"""Interleaved A/B of two copies of the project: CPU per message of each server process.

    python -m bench.ab OLD_TREE NEW_TREE [--rounds 4] [--seconds 15] [--users 50]
                       [--sequential N] [--profile-dir DIR [--idle]] [--env INDEX:NAME=VALUE ...]

Each tree is a checkout of this project (e.g. `git worktree add /tmp/old HEAD~1`, or a copy of
`git archive`) with its trained model in `models/advisor.tar.gz`; both run on this project's
.venv, each with its own code first on `PYTHONPATH`. Both deployments (action server + Rasa
server, embedded stores, as `make bench` starts them) are started once, warmed up, and then
loaded in alternating rounds (A B, B A, ...), each round with fresh conversations, by
`bench.run.throughput` (50 closed-loop conversations) or, with `--sequential N`, by N messages
one at a time (`bench.run.sequential_latency`).

Per round it prints msg/s, median and p95 latency, errors, and the CPU time (user + system,
from /proc, children included) each process used per answered message: Rasa server, action
server and this load client. On a machine shared with other work, msg/s follows the other
work's load; CPU per message much less, so compare that, as medians over the rounds.
With `--profile-dir`, the last round of the first tree is recorded by py-spy (both servers;
`--idle` adds wall-time profiles that include the waits).

`--env 1:SANIC_WORKERS=2 --env '1:LOCK_STORE_URL=sqlite:///{work}/locks.db'` sets variables for
one side only (0 = the first tree, 1 = the second; `{work}` is that side's run directory): the
two trees may then be the same checkout, to compare two settings. The Rasa server's CPU time
includes its worker processes (children; each round also prints it per process, the main one
first), and each round prints the resident memory (VmRSS) of
every process of the Rasa server (the main process first, then its workers), their sum, the sum
of their proportional set sizes (PSS: pages shared between forked processes counted once), and
the action server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Dict, List


def process_tree(pid: int) -> List[int]:
    """`pid` and its direct children (a Rasa server's Sanic workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, found)]


def pss_mb(pid: int) -> float:
    """Proportional set size: the process's private memory plus its share of pages it shares
    (a forked worker shares its parent's pages until either writes them)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, PermissionError):
        pass
    return 0.0


def cpu_by_process(pid: int) -> Dict[int, float]:
    """User + system CPU seconds of `pid` and of each of its direct children."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for process in process_tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        seconds[process] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its direct children."""
    return sum(cpu_by_process(pid).values())


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs=2)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=0, help="messages one at a time per round instead of the load")
    parser.add_argument("--profile-dir", default="")
    parser.add_argument("--idle", action="store_true", help="with --profile-dir: wall-time profiles too")
    parser.add_argument("--env", action="append", default=[], metavar="INDEX:NAME=VALUE",
                        help="an environment variable for one side only ({work}: that side's run directory)")
    args = parser.parse_args(argv)
    side_env: Dict[int, Dict[str, str]] = {0: {}, 1: {}}
    for item in args.env:
        side, assignment = item.split(":", 1)
        name, value = assignment.split("=", 1)
        side_env[int(side)][name] = value

    from bench import run as bench_run
    from bench import servers

    tags = iter(range(10**6))

    async def throughput(url: str) -> Dict[str, float]:
        """`bench.run.throughput` on conversations of this round only."""
        return await bench_run.throughput(url, args.users, args.seconds, sender_prefix=f"ab{next(tags)}-bench-load")

    async def sequential(url: str) -> Dict[str, float]:
        started = time.perf_counter()
        latency = await bench_run.sequential_latency(url, args.sequential)
        return {**latency, "messages": args.sequential, "errors": 0,
                "messages_per_s": args.sequential / (time.perf_counter() - started)}

    work = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    assistants = []
    try:
        for index, tree in enumerate(args.trees):
            tree_path = Path(tree).resolve()
            extra = {name: value.replace("{work}", str(work / f"tree{index}")) for name, value in side_env[index].items()}
            assistants.append(servers.start_assistant(  # the processes run in their tree, with its code first
                work / f"tree{index}", {"PYTHONPATH": str(tree_path), **extra},
                model=tree_path / "models" / "advisor.tar.gz", wait=False, project_dir=tree_path))
        for assistant in assistants:
            servers._wait(f"http://127.0.0.1:{servers.action_server_port(assistant)}/health", assistant.processes[0], 300)
            servers.wait_until_ready(assistant)
        for assistant in assistants:  # warm-up: lazy loading in both processes
            asyncio.run(bench_run.throughput(assistant.url, 10, 10))

        rows: Dict[int, List[Dict[str, float]]] = {0: [], 1: []}
        for round_ in range(args.rounds):
            for index in ((0, 1) if round_ % 2 == 0 else (1, 0)):
                assistant = assistants[index]
                pids = {"rasa": assistant.processes[-1].pid, "actions": assistant.processes[0].pid}
                spies = []
                if args.profile_dir and index == 0 and round_ == args.rounds - 1:
                    for name, pid in pids.items():
                        for idle in ((False, True) if args.idle else (False,)):
                            out = Path(args.profile_dir) / f"{name}{'-idle' if idle else ''}.json"
                            command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                                       "--duration", str(int(args.seconds)), "--rate", "100", "--nonblocking",
                                       "--format", "speedscope", "-o", str(out)] + (["--idle"] if idle else [])
                            spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                rasa_before = cpu_by_process(pids["rasa"])
                client_before = os.times()
                result = asyncio.run(sequential(assistant.url) if args.sequential else throughput(assistant.url))
                client_after = os.times()
                after = {name: cpu_seconds(pid) for name, pid in pids.items()}
                rasa_after = cpu_by_process(pids["rasa"])
                for spy in spies:
                    spy.wait()
                messages = max(result["messages"], 1)
                rasa_rss = [bench_run.rss_mb(pid) for pid in process_tree(pids["rasa"])]
                rasa_pss = [pss_mb(pid) for pid in process_tree(pids["rasa"])]
                row = {
                    "tree": index, "round": round_, "msg_s": round(result["messages_per_s"], 1),
                    "median_ms": round(result["median_ms"]), "p95_ms": round(result["p95_ms"]),
                    "errors": result["errors"], "messages": result["messages"],
                    **{f"{name}_cpu_ms": round(1000 * (after[name] - before[name]) / messages, 2) for name in pids},
                    "client_cpu_ms": round(1000 * (client_after.user + client_after.system
                                                   - client_before.user - client_before.system) / messages, 2),
                    "rasa_cpu_ms_by_process": [round(1000 * (rasa_after[pid] - rasa_before.get(pid, 0.0)) / messages, 2)
                                               for pid in rasa_after],
                    "rasa_rss_mb": [round(mb) for mb in rasa_rss], "rasa_rss_sum_mb": round(sum(rasa_rss)),
                    "rasa_pss_sum_mb": round(sum(rasa_pss)),
                    "actions_rss_mb": round(bench_run.rss_mb(pids["actions"])),
                }
                rows[index].append(row)
                print(json.dumps(row), flush=True)
        print("load average", " ".join(Path("/proc/loadavg").read_text().split()[:3]))
        for index, tree in enumerate(args.trees):
            mid = {key: median(row[key] for row in rows[index])
                   for key in ("msg_s", "median_ms", "p95_ms", "rasa_cpu_ms", "actions_cpu_ms", "client_cpu_ms",
                               "rasa_rss_sum_mb", "rasa_pss_sum_mb", "actions_rss_mb")}
            print(f"{tree}: medians over {args.rounds} rounds: " + ", ".join(f"{k} {v:.2f}" for k, v in mid.items())
                  + f", errors {sum(row['errors'] for row in rows[index])}")
    finally:
        for assistant in assistants:
            servers.stop_assistant(assistant)
        shutil.rmtree(work, ignore_errors=True)  # the run's databases and server logs
    return 0


if __name__ == "__main__":
    sys.exit(main())
