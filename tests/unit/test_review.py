"""`advisor review export` / `advisor review apply`: failed questions from a scripted tracker
store, labelled and added to a copy of data/nlu; bad worklists change nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from analytics.review import ReviewError, apply_review, worklist_yaml
from bench.tracker_scripts import save_scripts, scripted
from tests.support import PROJECT_DIR

ADVISOR = str(Path(sys.executable).parent / "advisor")


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    """data/nlu of a copy of the project's training data (with its domain, config and actions,
    so Rasa's validator can check the copy)."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / "data", project / "data")
    shutil.copytree(PROJECT_DIR / "bot" / "domain", project / "bot" / "domain")
    shutil.copy(PROJECT_DIR / "bot" / "config.yml", project / "bot" / "config.yml")
    shutil.copytree(PROJECT_DIR / "actions", project / "actions")
    return project / "data" / "nlu"


def digest(folder: Path) -> Dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def examples(path: Path, intent: str) -> List[str]:
    data = RasaYAMLReader().reads(path.read_text(encoding="utf-8"))
    return [m.get("text") for m in data.intent_examples if m.get("intent") == intent]


def fill(worklist: str, answers: List[str]) -> str:
    """Fill the n-th `answer:` of the worklist, as an editor does."""
    lines, n = [], 0
    for line in worklist.splitlines():
        if line.strip() == "answer:":
            line = f"{line} {answers[n]}".rstrip()
            n += 1
        lines.append(line)
    assert n == len(answers)
    return "\n".join(lines) + "\n"


def refused(review: Path, text: str, nlu_dir: Path) -> List[str]:
    """The problems of the worklist `text`, written to `review`: applying it must raise ReviewError."""
    review.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewError) as raised:
        apply_review(review, nlu_dir=nlu_dir)
    return raised.value.problems


def test_round_trip_through_the_cli(tmp_path: Path, nlu_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    save_scripts(url, scripted())
    env = {**os.environ, "TRACKER_STORE_URL": url}
    exported = subprocess.run([ADVISOR, "review", "export", "--since", "all"], env=env, cwd=PROJECT_DIR,
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0, exported.stderr
    worklist = exported.stdout
    # newest first: the weather (en, two wordings), hmm (en), bread (pl, two wordings), "plan" (pl)
    assert worklist.index('"What is the weather in Paris"') < worklist.index('"hmm"') < worklist.index(
        '"Jak upiec chleba"') < worklist.index('"plan"')
    assert '"what\'s the weather in Paris?"' in worklist and '"jak upiec chleb?"' in worklist
    review = tmp_path / "review.yml"
    review.write_text(fill(worklist, ["decline", "", "decline", "definition/both"]), encoding="utf-8")
    before = digest(nlu_dir)

    applied = subprocess.run([ADVISOR, "review", "apply", str(review), "--nlu-dir", str(nlu_dir)], env=env,
                             cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert applied.returncode == 0, applied.stderr
    assert "added 2 example(s) of out_of_scope" in applied.stdout  # en
    assert "1 item(s) without an answer" in applied.stdout
    after = digest(nlu_dir)
    assert {name for name in after if after[name] != before[name]} == {
        "en/chitchat.yml", "pl/chitchat.yml", "pl/kb_questions.yml"}
    assert {"What is the weather in Paris", "what's the weather in Paris?"} <= set(examples(nlu_dir / "en" / "chitchat.yml", "out_of_scope"))
    assert {"Jak upiec chleba", "jak upiec chleb?"} <= set(examples(nlu_dir / "pl" / "chitchat.yml", "out_of_scope"))
    assert "plan" in examples(nlu_dir / "pl" / "kb_questions.yml", "ask_definition")
    original = (PROJECT_DIR / "data" / "nlu" / "pl" / "kb_questions.yml").read_text(encoding="utf-8").splitlines()
    changed = (nlu_dir / "pl" / "kb_questions.yml").read_text(encoding="utf-8").splitlines()
    assert len(changed) == len(original) + 1 and [line for line in changed if line not in original] == ["      - plan"]

    # Rasa's validator (`advisor data validate`) accepts the new training data
    from bot.data_check import check_project

    assert check_project(nlu_dir.parent.parent) == []

    # applying the same worklist again adds nothing: every question is already there
    again = apply_review(review, nlu_dir=nlu_dir)
    assert not again.added and again.duplicates == 5
    assert digest(nlu_dir) == after


def test_unknown_labels_are_errors_with_file_and_line(tmp_path: Path, nlu_dir: Path) -> None:
    review = tmp_path / "review.yml"
    before = digest(nlu_dir)
    problems = refused(
        review,
        "version: 1\n"
        "items:\n"
        "  - language: pl\n"
        "    questions:\n"
        "      - \"ile kosztuje licencja CRM?\"\n"
        "    answer: decline\n"
        "  - language: en\n"
        "    questions:\n"
        "      - \"what is the budget of a campaign\"\n"
        "    answer: budget/campaign\n"
        "  - language: en\n"
        "    questions:\n"
        "      - \"please help\"\n"
        "    answer: ask_nothing\n"
        "  - language: de\n"
        "    questions: [\"Hallo\"]\n"
        "    answer: greet\n"
        "  - language: pl\n"
        "    questions:\n"
        "      - \"kto realizuje plan sprzedazy\"\n"
        "    answer: budget/sales\n",
        nlu_dir,
    )
    assert problems[0].startswith(f"{review}:10: unknown answer or intent 'budget/campaign'")
    assert problems[1].startswith(f"{review}:14: unknown answer or intent 'ask_nothing'")
    assert problems[2].startswith(f"{review}:15: language must be pl or en")
    assert problems[3].startswith(f"{review}:20:") and "already an example of ask_team" in problems[3]
    assert len(problems) == 4
    assert digest(nlu_dir) == before  # the valid first item was not written either


def test_malformed_yaml_changes_nothing(tmp_path: Path, nlu_dir: Path) -> None:
    review = tmp_path / "review.yml"
    review.write_text("version: 1\nitems:\n  - language: pl\n    questions: [\"a\"\n    answer: decline\n", encoding="utf-8")
    before = digest(nlu_dir)
    done = subprocess.run([ADVISOR, "review", "apply", str(review), "--nlu-dir", str(nlu_dir)], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert f"{review}:5: not valid YAML" in done.stderr and "nothing was written" in done.stderr
    assert digest(nlu_dir) == before
    assert refused(review, "- just\n- a list\n", nlu_dir)[0].startswith(f"{review}:1: expected a mapping with an `items:` list")


def test_markup_and_contradictions_inside_one_worklist(tmp_path: Path, nlu_dir: Path) -> None:
    review = tmp_path / "review.yml"
    problems = refused(
        review,
        "version: 1\nitems:\n"
        "  - language: en\n    questions:\n      - \"tell me about [sales](plan)\"\n      - \"how big is the ad spend\"\n"
        "    answer: budget/marketing\n"
        "  - language: en\n    questions:\n      - \"How big is the ad spend?\"\n    answer: decline\n",
        nlu_dir,
    )
    assert [p.split(": ", 1)[0] for p in problems] == [f"{review}:5", f"{review}:10"]
    assert "entity markup" in problems[0] and "also labelled ask_budget at line 6" in problems[1]


def test_worklist_lists_every_group_with_an_empty_answer() -> None:
    text = worklist_yaml([{"text": "x", "count": 2, "language": "pl", "declined": 2, "did_you_mean": 0,
                           "last_seen": "2026-11-30T09:00:00+00:00", "wordings": [{"text": 'a "quoted" x', "count": 2}]}],
                         since="30d", answer_ids=["budget/sales", "faq/difference_sales_marketing"])
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(text)
    assert data["items"] == [{"language": "pl", "asked": 2, "questions": ['a "quoted" x'], "answer": None}]
    assert "aspects budget; plans sales" in text and "faq/difference_sales_marketing" in text
