"""bench/ stands on its own: it must not import the tests (nor pytest)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import PROJECT_DIR


def test_bench_modules_import_neither_tests_nor_pytest():
    code = (
        "import sys, json\n"
        "import bench.run, bench.load, bench.targets, bench.conversation_length, bench.servers, bench.report_bench\n"
        "import bench.real_goals, bench.real_questions, bench.real_training, bench.real_corpus, bench.tracker_scripts\n"
        "print(json.dumps(sorted(m for m in sys.modules if m in ('tests', 'pytest') or m.startswith('tests.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
