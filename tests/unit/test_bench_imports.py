"""bench/ stands on its own: it must not import the tests (nor pytest)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import PROJECT_DIR


def test_bench_modules_import_neither_tests_nor_pytest():
    code = (
        "import sys, json\n"
        "import bench.run, bench.load, bench.targets, bench.conversation_length, bench.servers, bench.report_bench, bench.ab\n"
        "import bench.real_goals, bench.real_questions, bench.real_training, bench.real_corpus, bench.tracker_scripts\n"
        "print(json.dumps(sorted(m for m in sys.modules if m in ('tests', 'pytest') or m.startswith('tests.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_bench_ab_counts_the_cpu_time_of_a_process_and_its_children():
    import os
    import time

    from bench.ab import cpu_seconds

    own_before = sum(os.times()[:2])
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.5\n"
                              "while time.process_time() < end: pass\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 60
        while cpu_seconds(child.pid) < 0.5:
            assert time.monotonic() < deadline, "the child's CPU time was not counted"
            time.sleep(0.1)
        # this process's own CPU time plus its child's
        assert cpu_seconds(os.getpid()) >= own_before + 0.5 - 0.02
    finally:
        child.kill()
        child.wait()
