"""`advisor classify`: one goal from its words, or many from a file in one start-up."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import main
from knowledge.service import load
from tests.plan_support import CONTENT_DIR


@pytest.fixture
def knowledge_base(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    load(CONTENT_DIR, url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
    return url


def _verdicts(out: str):
    return [json.loads(line) for line in out.splitlines()]


def test_one_goal_from_its_words(knowledge_base, capsys):
    assert main(["classify", "Zwiększyć", "sprzedaż", "o", "10%", "w", "tym", "kwartale"]) == 0
    [verdict] = _verdicts(capsys.readouterr().out)
    assert verdict["plan"] == "sales" and verdict["language"] == "pl"


def test_a_file_gives_one_verdict_per_goal_in_order(knowledge_base, tmp_path, capsys):
    goals = tmp_path / "goals.txt"
    goals.write_text("Zwiększyć sprzedaż o 10% w tym kwartale\n\n   \nIncrease brand awareness among young parents\n",
                     encoding="utf-8")
    assert main(["classify", "--file", str(goals)]) == 0
    verdicts = _verdicts(capsys.readouterr().out)
    assert [(v["plan"], v["language"]) for v in verdicts] == [("sales", "pl"), ("marketing", "en")]


def test_standard_input(knowledge_base, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("More repeat customers\n".encode())))
    assert main(["classify", "--lang", "en", "--file", "-"]) == 0
    assert len(_verdicts(capsys.readouterr().out)) == 1


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(knowledge_base, tmp_path, capsys):
    goals = tmp_path / "goals.txt"
    goals.write_bytes(b"zwi\xc4\x99kszy\xc4\x87 sprzeda\xc5\xbc \xff\xfe o 10%\n")
    assert main(["classify", "--file", str(goals)]) == 0
    assert _verdicts(capsys.readouterr().out)[0]["plan"] == "sales"


@pytest.mark.parametrize("argv, reason", [
    (["classify"], "either the goal as words or --file"),
    (["classify", "more sales", "--file", "x.txt"], "either the goal as words or --file"),
    (["classify", "--file", "/nonexistent/goals.txt"], "cannot read /nonexistent/goals.txt"),
])
def test_bad_arguments_are_refused_with_a_reason(knowledge_base, capsys, argv, reason):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and reason in captured.err


def test_an_empty_file_is_refused(knowledge_base, tmp_path, capsys):
    goals = tmp_path / "goals.txt"
    goals.write_text("\n \n", encoding="utf-8")
    assert main(["classify", "--file", str(goals)]) == 2
    assert "no goal in" in capsys.readouterr().err
