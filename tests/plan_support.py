"""Fixtures and helpers for the plan-building tests: a loaded knowledge base, rasa_sdk trackers
and dispatchers, and the domain's form definition. Import the fixtures into a test module."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from ruamel.yaml import YAML

from tests.contracts import check_payload
from tests.support import PROJECT_DIR

CONTENT_DIR = PROJECT_DIR / "knowledge" / "content"
DOMAIN_FILE = PROJECT_DIR / "bot" / "domain" / "plan_building.yml"


def _domain() -> Dict[str, Any]:
    data = YAML(typ="safe").load(DOMAIN_FILE.read_text(encoding="utf-8"))
    slots = {name: {"type": "text"} for name in ("language", "requested_slot")}
    slots.update(data["slots"])
    return {"forms": data["forms"], "slots": slots, "responses": data["responses"]}


DOMAIN = _domain()
PLAN_SLOTS = [name for name in DOMAIN["slots"]]


@pytest.fixture
def plan_kb(fake_kb) -> None:
    """The actions use the in-memory knowledge service (`fake_kb` in tests/conftest.py)."""


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def tracker(
    text: str = "",
    intent: Optional[str] = "state_goal",
    confidence: float = 0.95,
    slots: Optional[Dict[str, Any]] = None,
    requested: Optional[str] = None,
    in_form: bool = True,
    fresh: bool = True,
    sender: str = "user-1",
    latest_action: str = "action_listen",
    language: str = "pl",
) -> Tracker:
    """A tracker as the action server receives it.

    `fresh`: the form runs right after the user's message (the events the form's validation
    sees then); otherwise a rule's action ran in between (an interruption).
    """
    values = {name: None for name in PLAN_SLOTS}
    values.update({"language": language, "requested_slot": requested})
    # the answers given before the question asked
    stages = ["business", "goal", "horizon", "budget"]
    earlier = stages[: stages.index(requested)] if requested in stages else []
    defaults = {"business": "meble biurowe", "horizon": {"text": "rok", "term": None, "not_sure": False}}
    values.update({name: defaults[name] for name in earlier if name in defaults})
    if "goal" in earlier:
        values.update({"goals_done": True, "plan_goals": [goal("zwiększyć sprzedaż", "sales")]})
    values.update(slots or {})
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    events: List[Dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message},
        {"event": "slot", "name": "language", "value": values["language"]},
        {"event": "user_featurization", "use_text_for_featurization": False},
    ]
    if not fresh:
        events += [
            {"event": "action_execution_rejected", "name": "plan_form"},
            {"event": "action", "name": latest_action},
            {"event": "bot", "text": "..."},
        ]
    events += [
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": "plan_form"},
    ]
    return Tracker(
        sender_id=sender,
        slots=values,
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "plan_form"} if in_form else {},
        latest_action_name=latest_action,
    )


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The slot values the events set (the last value wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def json_messages(dispatcher: CollectingDispatcher) -> List[Dict[str, Any]]:
    """The custom payloads sent, each checked against the contracts (docs/contracts/)."""
    return [check_payload(m["custom"]) for m in dispatcher.messages if m.get("custom")]


def texts(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def notice_responses(notices: Optional[List[Dict[str, Any]]]) -> List[str]:
    return [n["response"] for n in notices or [] if "response" in n]


def notice_json(notices: Optional[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    return [n["json"] for n in notices or [] if "json" in n]


def goal(text: str, plan: str) -> Dict[str, Any]:
    return {"text": text, "plan": plan, "reasons": [{"signal": "x", "plan": plan if plan != "both" else "sales",
                                                      "section": "2", "text": f"reason for {text}"}]}


def response_variables(name: str) -> set:
    """The {variables} every variation of a domain response uses."""
    import string

    used = set()
    for variation in DOMAIN["responses"][name]:
        used |= {f for _, f, _, _ in string.Formatter().parse(variation.get("text") or "") if f}
    return used


__all__ = ["plan_kb", "dispatcher", "tracker", "new_user", "slot_events", "responses", "json_messages", "texts",
           "notice_responses", "notice_json", "goal", "DOMAIN", "Path", "response_variables"]
