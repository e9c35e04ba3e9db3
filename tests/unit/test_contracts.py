"""The published JSON Schemas (docs/contracts/) are generated from knowledge.contracts, and the
contracts refuse what breaks them."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest
from pydantic import ValidationError

from knowledge.contracts import SourcePayload, main
from tests.contracts import check_payload, schema_of
from tests.support import PROJECT_DIR

PLAN_ID = "0b7e2a52-5f4e-4a8e-9a57-3c2d1e0f9a11"


def test_published_schemas_are_up_to_date():
    result = subprocess.run([sys.executable, "-m", "knowledge.contracts", "--check"], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_reports_a_stale_schema(tmp_path, monkeypatch):
    monkeypatch.setattr("knowledge.contracts.SCHEMA_DIR", tmp_path)
    assert main(["--check"]) == 1
    assert main([]) == 0 and main(["--check"]) == 0


@pytest.mark.parametrize("payload", [
    {"source": {"id": "budget/marketing", "section": "6"}, "language": "pl"},
    {"source": None, "fallback": True, "language": "en"},
    {"classification": {"goal": "więcej sprzedaży", "plan": "sales",
                        "reasons": [{"signal": "sales_volume", "plan": "sales", "section": "2", "text": "…"}]}},
    {"export": {"format": "md", "filename": f"plan-{PLAN_ID}.md", "content": "# Plan: meble\n"}, "language": "pl"},
])
def test_payloads_of_the_contract(payload):
    assert check_payload(payload) == payload


@pytest.mark.parametrize("payload", [
    {"source": {"id": "budget/finance", "section": "6"}, "language": "pl"},  # no such plan
    {"source": None, "language": "pl"},  # a decline says fallback
    {"source": {"id": "faq/x", "section": "faq1"}, "language": "de"},
    {"source": {"id": "faq/x", "section": "faq1"}, "language": "pl", "extra": 1},
    {"classification": {"goal": "x", "plan": "maybe", "reasons": []}},
    {"export": {"format": "markdown", "filename": f"plan-{PLAN_ID}.md", "content": "# Plan"}, "language": "pl"},
    {"export": {"format": "md", "filename": "plan.txt", "content": "# Plan"}, "language": "en"},
    {"export": {"format": "md", "filename": f"plan-{PLAN_ID}.md"}, "language": "en"},  # no content
    {"export": {"format": "md", "filename": f"plan-{PLAN_ID}.md", "content": "# Plan"}},  # no language
])
def test_payloads_that_break_the_contract(payload):
    with pytest.raises((ValidationError, jsonschema.ValidationError)):
        check_payload(payload)


def test_an_export_is_told_apart_from_a_plan():
    assert check_payload({"export": {"format": "md", "filename": f"plan-{PLAN_ID}.md", "content": "# Plan"},
                          "language": "en"})["export"]["format"] == "md"
    with pytest.raises(jsonschema.ValidationError):  # the schema refuses a plan in an export payload too
        jsonschema.validate({"export": {"format": "md", "filename": f"plan-{PLAN_ID}.md", "content": "#"},
                             "plan": {}, "language": "pl"}, schema_of("export"))


def test_the_schema_and_the_model_agree_on_a_decline():
    jsonschema.validate({"source": None, "fallback": True, "language": "pl"}, schema_of("source"))
    assert SourcePayload.parse_obj({"source": None, "fallback": True, "language": "pl"}).fallback is True
