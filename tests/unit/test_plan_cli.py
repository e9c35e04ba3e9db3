"""`advisor plan export ID --format md`."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from knowledge.drafting import build_plan
from knowledge.plans import plans_for
from knowledge.repository import repository_for
from knowledge.service import load
from tests.plan_support import CONTENT_DIR, goal


@pytest.fixture
def saved(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    load(CONTENT_DIR, url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
    body = build_plan(repository_for(url), "en", "office furniture", [goal("more orders in December", "sales")], [],
                      None, None)
    return plans_for(url).save("alice", "en", body)


def test_export_markdown(saved, capsys):
    assert main(["plan", "export", saved.id, "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Plan: office furniture\n\n")
    assert f"plan id `{saved.id}`" in out and "## Sales plan" in out and "- **more orders in December**" in out


def test_export_json(saved, capsys):
    assert main(["plan", "export", saved.id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == saved.id


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/tmp/x", "plan.md", "..", "a/b"])
def test_path_tricks_are_refused(saved, capsys, bad):
    assert main(["plan", "export", bad, "--format", "md"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is not a plan id" in captured.err


def test_unknown_plan(saved, capsys):
    assert main(["plan", "export", "00000000-0000-4000-8000-000000000000"]) == 1
    assert "no saved plan" in capsys.readouterr().err
