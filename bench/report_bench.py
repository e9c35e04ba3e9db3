"""`advisor report` on a tracker store of 100,000 events, on SQLite and on PostgreSQL.

Generates realistic conversations (bench/tracker_scripts.py: the events the assistant writes),
bulk-inserts them into Rasa's `events` table, then times the report: the whole command as a
user runs it (`advisor report --format json` / `--format html`, process start included) and
the single pass over the store alone. Target: under 10 s on SQLite.

    python -m bench.report_bench [--events 100000] [--screenshot docs/report.png]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bench.servers import PROJECT_DIR
from bench.tracker_scripts import event_rows, generated_scripts

ADVISOR = str(Path(sys.executable).parent / "advisor")
TARGET_SECONDS = 10.0


def fill_store(url: str, events: int, days: int = 30) -> int:
    """Rasa's schema (its own SQLEvent table), then the generated events in bulk; returns the count."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url, future=True)
    table = SQLTrackerStore.SQLEvent.__table__
    SQLTrackerStore.Base.metadata.create_all(engine)
    count = 0
    end = time.time()
    with engine.begin() as connection:
        batch: List[Dict[str, Any]] = []
        for script in generated_scripts(events, days=days, end=end):
            batch.extend(event_rows(script.sender, script.events))
            if len(batch) >= 5000:
                connection.execute(table.insert(), batch)
                count += len(batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
            count += len(batch)
    engine.dispose()
    return count


def _timed_command(url: str, fmt: str, out: Path) -> Tuple[float, float]:
    """(wall seconds, CPU seconds) of one `advisor report` run; CPU time does not grow with the
    machine's load the way wall time does on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([ADVISOR, "report", "--since", "all", "--format", fmt, "--out", str(out)], cwd=PROJECT_DIR,
                   env={**os.environ, "TRACKER_STORE_URL": url}, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_store(url: str, events: int, work: Path, name: str) -> Dict[str, Any]:
    from analytics.report import build_report
    from language.lemmatizer import get_lemmatizer

    stored = fill_store(url, events)
    lemmas = get_lemmatizer().lemmas
    started = time.perf_counter()
    figures = build_report(url, None, lemmas)
    one_pass = time.perf_counter() - started
    json_seconds, json_cpu = _timed_command(url, "json", work / f"{name}.json")
    html_seconds, html_cpu = _timed_command(url, "html", work / f"{name}.html")
    printed = json.loads((work / f"{name}.json").read_text(encoding="utf-8"))
    assert printed["messages"] == figures["messages"]
    return {"events": stored, "conversations": figures["conversations"], "messages": figures["messages"],
            "pass_seconds": round(one_pass, 2), "json_command_seconds": round(json_seconds, 2),
            "html_command_seconds": round(html_seconds, 2), "json_command_cpu_seconds": round(json_cpu, 2),
            "html_command_cpu_seconds": round(html_cpu, 2), "load_average": round(os.getloadavg()[0], 1), "html_kb": round((work / f"{name}.html").stat().st_size / 1024)}


def measure(work: Path, events: int = 100_000) -> Dict[str, Any]:
    """Both stores; PostgreSQL on TEST_POSTGRES_URL (default: this machine's, as bench/load.py),
    in a database made for the run and dropped after it."""
    from bench.servers import temporary_postgres_database

    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    results: Dict[str, Any] = {"target_seconds": TARGET_SECONDS}
    results["sqlite"] = measure_store(f"sqlite:///{work / 'tracker.db'}", events, work, "sqlite")
    try:
        with ExitStack() as stack:
            url = stack.enter_context(temporary_postgres_database())
            results["postgresql"] = measure_store(url, events, work, "postgresql")
    except BaseException as error:  # pytest.skip (no server) is a BaseException
        if isinstance(error, KeyboardInterrupt):
            raise
        results["postgresql"] = {"skipped": f"{error.__class__.__name__}: {error}"}
    return results


def report(results: Dict[str, Any]) -> str:
    lines = ["advisor report on a generated tracker store (bench/report_bench.py; target < "
             f"{results['target_seconds']:g} s on SQLite, whole command):",
             "| store | events | conversations | one pass (s) | `--format json` wall / CPU (s) | "
             "`--format html` wall / CPU (s) | HTML KB | load average |",
             "|---|---|---|---|---|---|---|---|"]
    for store in ("sqlite", "postgresql"):
        r = results.get(store) or {}
        if "skipped" in r:
            lines.append(f"| {store} | skipped: {r['skipped']} | | | | | | |")
        elif r:
            lines.append(f"| {store} | {r['events']} | {r['conversations']} | {r['pass_seconds']} | "
                         f"{r['json_command_seconds']} / {r['json_command_cpu_seconds']} | "
                         f"{r['html_command_seconds']} / {r['html_command_cpu_seconds']} | {r['html_kb']} | "
                         f"{r['load_average']} |")
    return "\n".join(lines)


def screenshot(path: Path, events: int = 6000) -> None:
    """docs/report.png: the HTML report of a generated store, in Chromium."""
    from playwright.sync_api import sync_playwright

    from bench.chromium import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory(prefix="advisor-report-") as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'tracker.db'}"
        fill_store(url, events, days=21)
        page_file = work / "report.html"
        _timed_command(url, "html", page_file)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1500}, device_scale_factor=1)
            page.goto(page_file.as_uri())
            page.screenshot(path=str(path), full_page=False)
            browser.close()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events in the generated store (default 100000)")
    parser.add_argument("--screenshot", help="also write a screenshot of the report here (e.g. docs/report.png)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="advisor-report-bench-") as folder:
        results = measure(Path(folder), args.events)
    print(report(results))
    results_dir = PROJECT_DIR / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "report.json").write_text(json.dumps(results, indent=2))
    if args.screenshot:
        screenshot(Path(args.screenshot))
        print(f"screenshot: {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
