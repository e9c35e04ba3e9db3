"""The performance figures of issue 13 in one table (now / reached / target), the CLI timings and
the throughput curve (msg/s and p95 against 1, 10, 25, 50 and 100 concurrent conversations).

`make bench` (bench/run.py) calls these; `python -m bench.targets --cli` times the CLI alone,
and `python -m bench.targets --curve` measures the curve of the advisor alone (a trained model
is needed) and writes bench/results/throughput.{json,png}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any, Callable, Dict, List, Optional, Sequence

from bench.servers import MODEL, PROJECT_DIR

RESULTS_DIR = PROJECT_DIR / "bench" / "results"
CURVE_LEVELS = (1, 10, 25, 50, 100)
BIN = Path(sys.executable).parent

# --- the CLI -------------------------------------------------------------------------------------
# As the README shows them: `classify` detects the goal's language. The last one is a content
# editor checking twenty goals (the self-written set's first twenty) in one start-up.
BATCH_GOALS = 20
BATCH_LABEL = f"advisor classify --file ({BATCH_GOALS} goals)"
CLI_COMMANDS = {
    "advisor classify": ["classify", "Chcemy zwiększyć sprzedaż o 20 % w tym roku"],
    "advisor token": ["token", "--user", "bench-user"],
    "advisor kb validate": ["kb", "validate"],
    BATCH_LABEL: ["classify", "--file", "{goals_file}"],
}


def _goals_file(folder: Path) -> Path:
    import yaml

    goals = yaml.safe_load((PROJECT_DIR / "bench" / "data" / "goals.yml").read_text(encoding="utf-8"))["goals"]
    path = folder / "goals.txt"
    path.write_text("".join(g["text"] + "\n" for g in goals[:BATCH_GOALS]), encoding="utf-8")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_timings(repeat: int = 3) -> Dict[str, Dict[str, float]]:
    """Wall and CPU seconds of each CLI command (median of `repeat` runs); the KB must be loaded."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "ADVISOR_DEV_MODE": "true"}
    env.pop("ADVISOR_JWT_SECRET", None)
    out: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        goals_file = str(_goals_file(Path(folder)))
        for label, args in CLI_COMMANDS.items():
            walls, cpus = [], []
            for _ in range(repeat):
                cpu0, started = _children_cpu(), time.perf_counter()
                subprocess.run([str(BIN / "advisor"), *(a.format(goals_file=goals_file) for a in args)], env=env,
                               cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                walls.append(time.perf_counter() - started)
                cpus.append(_children_cpu() - cpu0)
            out[label] = {"wall_s": median(walls), "cpu_s": median(cpus), "runs": repeat}
    return out


# --- the throughput curve ------------------------------------------------------------------------
def throughput_curve(url: str, levels: Sequence[int] = CURVE_LEVELS, seconds: float = 15.0) -> List[Dict[str, Any]]:
    """run.py's closed-loop load at each level of concurrency, on the same server, in order."""
    from bench.run import throughput

    points = []
    for users in levels:
        result = asyncio.run(throughput(url, users, seconds))
        points.append({"users": users, **result})
        print(f"    {users:>3} conversations: {result['messages_per_s']:.1f} msg/s, "
              f"p95 {result['p95_ms']:.0f} ms, errors {result['errors']}", flush=True)
    return points


def chart(curves: Dict[str, List[Dict[str, Any]]], path: Path) -> Path:
    """msg/s and p95 latency against concurrency, one line per assistant, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, points in curves.items():
        users = [p["users"] for p in points]
        left.plot(users, [p["messages_per_s"] for p in points], marker="o", label=name)
        right.plot(users, [p["p95_ms"] for p in points], marker="o", label=name)
    left.set(xlabel="concurrent conversations", ylabel="messages / s", title="Throughput")
    right.set(xlabel="concurrent conversations", ylabel="p95 latency (ms)", title="p95 latency")
    for axis in (left, right):
        axis.set_xticks(list(CURVE_LEVELS))
        axis.grid(True, alpha=0.3)
        axis.legend()
    fig.suptitle("Plan advisor vs Rasa's default pipeline, same machine, same run" if len(curves) > 1
                 else "Plan advisor (closed-loop load, 15 s per point)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- the table of the issue ----------------------------------------------------------------------
def _get(results: Dict[str, Any], *keys: Any) -> Any:
    for key in keys:
        if results is None:
            return None
        results = results.get(key) if isinstance(results, dict) else None
    return results


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def _deployment(results: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    return next((row for row in results.get("deployments") or [] if row["deployment"] == name), None)


Row = Dict[str, Any]


def figures(results: Dict[str, Any]) -> List[Row]:
    """The figures of the issue, from one `make bench` run: now (the issue), reached, target, met."""
    adv = results["assistants"].get("advisor", {})
    default = results["assistants"].get("rasa-default", {})
    rows: List[Row] = []

    def add(figure: str, now: str, reached: Optional[float], fmt: str, target: str, met: Callable[[float], bool],
            detail: str = "", alone: str = "") -> None:
        text = fmt.format(reached) + detail if reached is not None else "not measured" + (f" ({alone})" if alone else "")
        rows.append({"figure": figure, "now": now, "reached": reached, "reached_text": text,
                     "target": target, "met": None if reached is None else bool(met(reached))})

    def alone(value: Optional[float], fmt: str) -> str:
        return f"no default bot in this run; advisor {fmt.format(value)}" if value is not None else ""

    latency = _ratio(_get(adv, "latency", "median_ms"), _get(default, "latency", "median_ms"))
    add("median latency, one conversation, ratio to the default bot", "0.72", latency, "{:.2f}", "<= 0.35",
        lambda v: v <= 0.35, f" ({_get(adv, 'latency', 'median_ms') or 0:.0f} vs {_get(default, 'latency', 'median_ms') or 0:.0f} ms)",
        alone(_get(adv, "latency", "median_ms"), "{:.0f} ms"))
    load = _ratio(_get(adv, "load", "messages_per_s"), _get(default, "load", "messages_per_s"))
    errors = _get(adv, "load", "errors")
    add("throughput, 50 concurrent, embedded, ratio to the default bot", "1.32x (28 vs 21.5 msg/s)", load, "{:.2f}x",
        ">= 3.5x, 0 errors", lambda v: v >= 3.5 and errors == 0,
        f" ({_get(adv, 'load', 'messages_per_s') or 0:.1f} vs {_get(default, 'load', 'messages_per_s') or 0:.1f} msg/s,"
        f" {errors} errors)", alone(_get(adv, "load", "messages_per_s"), "{:.1f} msg/s"))
    p95 = _ratio(_get(adv, "load", "p95_ms"), _get(default, "load", "p95_ms"))
    add("p95 latency under that load, ratio to the default bot", "0.83x (2.45 s)", p95, "{:.2f}x", "<= 0.3x",
        lambda v: v <= 0.3, f" ({(_get(adv, 'load', 'p95_ms') or 0) / 1000:.2f} s)",
        alone(_get(adv, "load", "p95_ms"), "{:.0f} ms"))
    workers = (results.get("assistants") or {}).get("advisor-two-workers") or {}
    if workers:  # the second core on the embedded deployment (README: deployment), at its memory's price
        load2 = _ratio(_get(workers, "load", "messages_per_s"), _get(default, "load", "messages_per_s"))
        errors2 = _get(workers, "load", "errors")
        add("throughput, 50 concurrent, embedded with two Sanic workers (SQLite lock file), ratio to the default bot",
            "(not measured)", load2, "{:.2f}x", ">= 3.5x, 0 errors", lambda v: v >= 3.5 and errors2 == 0,
            f" ({_get(workers, 'load', 'messages_per_s') or 0:.1f} msg/s, {errors2} errors)",
            alone(_get(workers, "load", "messages_per_s"), "{:.1f} msg/s"))
        p95_2 = _ratio(_get(workers, "load", "p95_ms"), _get(default, "load", "p95_ms"))
        add("p95 latency under that load (two workers), ratio to the default bot", "(not measured)", p95_2, "{:.2f}x",
            "<= 0.3x", lambda v: v <= 0.3, f" ({(_get(workers, 'load', 'p95_ms') or 0) / 1000:.2f} s)",
            alone(_get(workers, "load", "p95_ms"), "{:.0f} ms"))
    two = _deployment(results, "postgres+redis x2")
    embedded = _deployment(results, "embedded")
    add("throughput, 50 concurrent, PostgreSQL + Redis, two Rasa servers (msg/s)", "(not measured)",
        two and two["messages_per_s"], "{:.1f}", ">= the embedded figure, 0 errors",
        lambda v: bool(embedded) and v >= embedded["messages_per_s"] and two["errors"] == 0,
        f" (embedded {embedded['messages_per_s']:.1f}, errors {two['errors']})" if two and embedded else "")
    for label, timing in (results.get("cli") or {}).items():
        if label == BATCH_LABEL:  # not a figure of the issue: its motivation, twenty goals checked
            add(f"`{label}` wall time (s)", f"{BATCH_GOALS} calls x 6-10 s", timing["wall_s"], "{:.2f}",
                f"<= {BATCH_GOALS} s (1 s a goal)", lambda v: v <= BATCH_GOALS, f" (CPU {timing['cpu_s']:.2f} s)")
            continue
        add(f"`{label}` wall time (s)", "6-10 s", timing["wall_s"], "{:.2f}", "<= 1 s", lambda v: v <= 1.0,
            f" (CPU {timing['cpu_s']:.2f} s)")
    add("Rasa server RSS after the load (MB)", "776 MB", adv.get("memory_mb"), "{:.0f}", "<= 700 MB",
        lambda v: v <= 700)
    if workers:
        add("Rasa server with two workers, RSS of all its processes after the load (MB)", "(not measured)",
            workers.get("memory_mb"), "{:.0f}", "<= 700 MB", lambda v: v <= 700,
            f" (each {', '.join(map(str, workers.get('memory_mb_each') or []))}; PSS summed "
            f"{workers.get('memory_pss_mb') or 0:.0f})")
    add("cold training (s)", "45-60 s", adv.get("train_seconds"), "{:.1f}", "<= 30 s", lambda v: v <= 30,
        f" (CPU {adv['train_cpu_seconds']:.1f} s)" if adv.get("train_cpu_seconds") else "")
    return rows


def figures_table(rows: List[Row]) -> str:
    from bench.run import table

    return table([["figure", "now (issue 13)", "reached (this run)", "target", "met"]] + [
        [r["figure"], r["now"], r["reached_text"], r["target"], {True: "yes", False: "NO", None: "-"}[r["met"]]]
        for r in rows
    ])


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", action="store_true", help="time the CLI commands")
    parser.add_argument("--curve", action="store_true", help="the advisor's throughput curve")
    parser.add_argument("--curve-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    if args.cli:
        for label, timing in cli_timings().items():
            print(f"{label}: wall {timing['wall_s']:.2f} s, CPU {timing['cpu_s']:.2f} s")
    if args.curve:
        from bench.servers import start_assistant, stop_assistant

        work = Path(tempfile.mkdtemp(prefix="advisor-curve-"))
        assistant = start_assistant(work, model=MODEL)
        try:
            curve = throughput_curve(assistant.url, seconds=args.curve_seconds)
        finally:
            stop_assistant(assistant)
            shutil.rmtree(work, ignore_errors=True)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "throughput.json").write_text(json.dumps({"advisor": curve}, indent=2))
        print(chart({"advisor": curve}, RESULTS_DIR / "throughput.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
