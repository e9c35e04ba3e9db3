"""`advisor report --format json`: every figure against a scripted set of conversations written
through Rasa's own SQLTrackerStore, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.figures import conversation_ref
from analytics.report import build_report, public
from bench.tracker_scripts import DAY2, save_scripts, scripted
from tests.support import PROJECT_DIR, temporary_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def tracker_url(request, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
        save_scripts(url, scripted())
        yield url
    else:
        with temporary_postgres_database() as url:
            save_scripts(url, scripted())
            yield url


def ref(sender: str) -> str:
    return conversation_ref(sender)


def test_every_figure(tracker_url: str) -> None:
    report = public(build_report(tracker_url))
    assert report["conversations"] == 6
    assert (report["messages"], report["answered"], report["did_you_mean"], report["declined"]) == (31, 4, 2, 4)
    assert report["unanswered_total"] == 6
    assert report["did_you_mean_accepted"] == 0  # nobody chose an offered topic
    assert report["languages"] == {
        "en": {"conversations": 3, "messages": 8, "answered": 2, "did_you_mean": 1, "declined": 2},
        "pl": {"conversations": 3, "messages": 23, "answered": 2, "did_you_mean": 1, "declined": 2},
    }
    days = [(d["date"], d["conversations"], d["messages"], d["answered"], d["did_you_mean"], d["declined"])
            for d in report["days"]]
    assert days == [
        ("2026-11-28", 2, 5, 2, 1, 2),
        ("2026-11-29", 2, 16, 1, 0, 2),
        ("2026-11-30", 2, 10, 1, 1, 0),
    ]
    assert report["days"][0]["languages"] == {
        "en": {"messages": 2, "answered": 1, "did_you_mean": 0, "declined": 1},
        "pl": {"messages": 3, "answered": 1, "did_you_mean": 1, "declined": 1},
    }
    assert report["topics"] == [
        {"id": "team/marketing", "count": 2}, {"id": "budget/marketing", "count": 1}, {"id": "team/sales", "count": 1},
    ]
    unanswered = [(u["text"], u["count"], u["language"], u["declined"], u["did_you_mean"]) for u in report["unanswered"]]
    assert unanswered == [  # newest first; near-identical wordings together
        ("What is the weather in Paris", 2, "en", 1, 1),
        ("hmm", 1, "en", 1, 0),
        ("Jak upiec chleba", 2, "pl", 2, 0),
        ("plan", 1, "pl", 0, 1),
    ]
    assert [u["accepted"] for u in report["unanswered"]] == [0, 0, 0, 0]
    assert report["unanswered"][2]["conversations"] == [ref("intranet:42"), ref("rest:anna")]
    assert {w["text"] for w in report["unanswered"][0]["wordings"]} == {
        "What is the weather in Paris", "what's the weather in Paris?"}
    assert report["unanswered"][0]["last_seen"].startswith("2026-11-30T09:00")

    feedback = report["feedback"]
    assert (feedback["up"], feedback["down"]) == (1, 3)
    assert feedback["worst"] == ["budget/marketing", "team/marketing"]
    budget = feedback["by_answer"]["budget/marketing"]
    assert (budget["up"], budget["down"]) == (0, 2)
    assert [c["text"] for c in budget["comments"]] == ["brak liczb"]
    assert budget["questions"] == [{"text": "jaki budżet ma plan marketingowy?", "count": 1}]
    team = feedback["by_answer"]["team/marketing"]
    assert (team["up"], team["down"]) == (1, 1)
    assert [(c["text"], c["language"]) for c in team["comments"]] == [("too vague", "en")]
    assert team["questions"] == [{"text": "Who carries out the marketing plan?", "count": 2}]
    assert set(feedback["by_answer"]) == {"budget/marketing", "team/marketing"}  # the malformed vote is ignored

    assert report["plans"] == {
        "started": 4, "first_goal": 3, "drafted": 2, "saved": 1, "exported": 1,
        "goals_classified": 5, "unclear": 1, "unclear_share": 0.2,
    }
    assert "rest:anna" not in json.dumps(report)  # conversations appear only as pseudonyms


def test_since_keeps_only_later_events(tracker_url: str) -> None:
    report = build_report(tracker_url, since=DAY2 - 3600)
    assert (report["conversations"], report["messages"], report["declined"], report["did_you_mean"]) == (4, 26, 2, 1)
    assert [u["text"] for u in report["unanswered"]] == ["What is the weather in Paris", "hmm", "Jak upiec chleba"]
    assert report["unanswered"][0]["count"] == 1
    assert (report["feedback"]["up"], report["feedback"]["down"]) == (0, 2)


def test_cli_json_and_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    save_scripts(url, scripted())
    advisor = str(Path(sys.executable).parent / "advisor")
    env = {**os.environ, "TRACKER_STORE_URL": url}
    done = subprocess.run([advisor, "report", "--format", "json", "--since", "all"], env=env, cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["conversations"], printed["messages"], printed["plans"]["saved"]) == (6, 31, 1)

    bad = subprocess.run([advisor, "report", "--since", "yesterday"], env=env, cwd=PROJECT_DIR,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--since 'yesterday'" in bad.stderr and not bad.stdout
    missing = tmp_path / "missing.db"
    absent = subprocess.run([advisor, "report", "--format", "json"], cwd=PROJECT_DIR, capture_output=True, text=True,
                            env={**env, "TRACKER_STORE_URL": f"sqlite:///{missing}"}, timeout=300)
    assert absent.returncode == 1 and "does not exist" in absent.stderr
    assert not missing.exists()  # a wrong path creates nothing
