"""The training data and domain pass Rasa's validator, and the check does catch problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.data_check import check_project
from tests.support import PROJECT_DIR


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for folder in ("bot", "data", "actions"):
        shutil.copytree(PROJECT_DIR / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_project_is_clean():
    assert check_project() == []


def test_an_unused_response_is_reported(project_copy: Path):
    (project_copy / "bot" / "domain" / "zz_extra.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_nobody_sends_this:\n    - text: "hm"\n', encoding="utf-8"
    )
    problems = check_project(project_copy)
    assert any("utter_nobody_sends_this" in p for p in problems)


def test_an_example_under_two_intents_is_reported(project_copy: Path):
    (project_copy / "data" / "nlu" / "pl" / "zz_conflict.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - jaki budżet ma plan marketingowy?\n',
        encoding="utf-8",
    )
    assert check_project(project_copy)
