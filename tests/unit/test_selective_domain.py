"""The domain goes only to the custom actions that read it (`enable_selective_domain`).

bot/endpoints.yml turns Rasa's selective domain on, so an action call carries the 27 kB domain
only for `validate_*` actions (Rasa's own rule: the SDK's form validation reads the form's
slots from it) and for actions marked `send_domain: true` in bot/domain. An action that reads
its `domain` argument without that mark would get `{}` and silently lose what it reads, so the
actions' sources are scanned here for every method that uses `domain`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _actions_reading_the_domain() -> Dict[str, List[str]]:
    """Custom action name -> the methods that load the name `domain` (their argument)."""
    found: Dict[str, List[str]] = {}
    for path in sorted((PROJECT_DIR / "actions").glob("*.py")):
        for cls in (n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.ClassDef)):
            name, readers = None, []
            for function in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
                if function.name == "name":
                    returns = [r.value.value for r in ast.walk(function)
                               if isinstance(r, ast.Return) and isinstance(r.value, ast.Constant)]
                    name = returns[0] if returns else None
                if any(isinstance(n, ast.Name) and n.id == "domain" and isinstance(n.ctx, ast.Load)
                       for n in ast.walk(function)):
                    readers.append(function.name)
            if name and readers:
                found[name] = readers
    return found


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "bot" / "domain"))


@pytest.fixture()
def endpoint(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    return read_endpoint_config(str(PROJECT_DIR / "bot" / "endpoints.yml"), "action_endpoint")


def test_the_scan_finds_a_method_that_reads_the_domain():
    # the premise of the next test: the session start reads the slots' initial values from it
    assert "action_session_start" in _actions_reading_the_domain()


def test_every_action_that_reads_the_domain_is_sent_it(domain: Domain):
    missing = {name: methods for name, methods in _actions_reading_the_domain().items()
               if not domain.does_custom_action_explicitly_need_domain(name)}
    assert not missing, f"mark these actions `send_domain: true` in bot/domain: {missing}"


def test_only_those_calls_carry_the_domain(domain: Domain, endpoint):
    assert endpoint.kwargs.get("enable_selective_domain") is True
    tracker = DialogueStateTracker.from_events("ann", [ActionExecuted("action_listen"), UserUttered("hej")])
    bodies = {name: RemoteAction(name, endpoint)._action_call_format(tracker, domain)
              for name in domain.user_actions}
    with_domain = sorted(name for name, body in bodies.items() if "domain" in body)
    assert with_domain == ["action_session_start", "validate_plan_form"]
    assert bodies["action_session_start"]["domain"]["slots"] == domain.as_dict()["slots"]
