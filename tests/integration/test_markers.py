"""markers.yml: Rasa validates it against the domain, and `rasa evaluate markers` runs with it
on a tracker store (the scripted conversations of the report tests) through bot/endpoints.yml."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from rasa.core.evaluation.marker_base import Marker
from rasa.shared.core.domain import Domain

from bench.tracker_scripts import save_scripts, scripted
from tests.support import PROJECT_DIR

MARKERS = PROJECT_DIR / "markers.yml"


def test_markers_are_valid_for_the_domain() -> None:
    marker = Marker.from_path(MARKERS)
    assert marker.validate_against_domain(Domain.load(str(PROJECT_DIR / "bot" / "domain")))
    assert {m.name for m in marker.sub_markers} == {
        "marker_declined", "marker_did_you_mean", "marker_plan_finished", "marker_plan_exported"}


def test_rasa_evaluate_markers_on_a_tracker_store(tmp_path: Path) -> None:
    from knowledge.db import upgrade_schema

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    upgrade_schema("tracker", url)  # as `advisor db upgrade` does before the servers use a store
    save_scripts(url, scripted())
    env = {**os.environ, "TRACKER_STORE_URL": url, "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook"}
    out = tmp_path / "markers.csv"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "evaluate", "markers", "all", "--config", str(MARKERS),
         "--domain", "bot/domain", "--endpoints", "bot/endpoints.yml", "--stats-file-prefix", str(tmp_path / "stats"),
         str(out)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with out.open(newline="") as stream:
        applied = Counter((row["sender_id"], row["marker"]) for row in csv.DictReader(stream))
    assert applied == {
        ("rest:anna", "marker_declined"): 1, ("rest:bob", "marker_declined"): 1, ("intranet:42", "marker_declined"): 1,
        ("rest:anna", "marker_did_you_mean"): 1, ("rest:dora", "marker_did_you_mean"): 1,
        ("rest:eve", "marker_did_you_mean"): 1,
        ("intranet:42", "marker_plan_finished"): 1, ("rest:fay", "marker_plan_finished"): 1,
        ("intranet:42", "marker_plan_exported"): 1,
    }
    with (tmp_path / "stats-overall.csv").open(newline="") as stream:
        sessions = [row for row in csv.DictReader(stream) if row["statistic"] == "total_number_of_sessions"]
    assert sessions[0]["value"] == "6"
