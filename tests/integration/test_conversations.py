"""Rasa's end-to-end test stories (tests/conversations/test_*.yml), Polish and English.

Each user message goes through the trained NLU pipeline: the intent and every annotated
entity must match, and so must every predicted action (`--fail-on-prediction-errors`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import MODEL, PROJECT_DIR

STORIES = PROJECT_DIR / "tests" / "conversations"


@pytest.mark.servers
def test_conversation_stories_pass(tmp_path: Path, loaded_kb):
    assert sorted(STORIES.glob("test_*.yml")), "no test stories found"
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [rasa, "test", "core", "--e2e", "--model", str(MODEL), "--stories", str(STORIES),
         "--out", str(tmp_path / "results"), "--fail-on-prediction-errors", "--no-plot"],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    story_counts = re.findall(r"Correct:\s+(\d+) / (\d+)", output)
    assert story_counts, output[-2000:]
    correct, total = map(int, story_counts[0])
    assert total >= 14 and correct == total, story_counts
