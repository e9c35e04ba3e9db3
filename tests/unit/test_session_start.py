"""action_session_start: each slot once, at its current value, and an open form stays open."""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.session_start import ActionSessionStart

DOMAIN = {
    "session_config": {"session_expiration_time": 120, "carry_over_slots_to_new_session": True},
    "slots": {
        "language": {"type": "categorical", "initial_value": "pl"},
        "aspect": {"type": "text"},
        "plan_goals": {"type": "any"},
        "requested_slot": {"type": "any"},
    },
}


def tracker(slots: Dict[str, Any], active_loop: Optional[Dict[str, Any]] = None) -> Tracker:
    return Tracker(
        sender_id="alice",
        slots=slots,
        latest_message={},
        # what Rasa's SlotSet history looks like after a long session: many sets of each slot
        events=[{"event": "slot", "name": "aspect", "value": v} for v in ("budget", "team", "tools")] * 50,
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


async def run(tracker_: Tracker, domain: Dict[str, Any] = DOMAIN):
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker_, domain)
    assert dispatcher.messages == []
    return events


async def test_each_slot_is_carried_over_once_at_its_current_value() -> None:
    events = await run(tracker({"language": "en", "aspect": "tools", "plan_goals": None, "requested_slot": None}))
    assert events == [SessionStarted(), SlotSet("language", "en"), SlotSet("aspect", "tools"),
                      ActionExecuted("action_listen")]


async def test_a_slot_at_its_initial_value_needs_no_event() -> None:
    events = await run(tracker({"language": "pl", "aspect": None, "plan_goals": None, "requested_slot": None}))
    assert events == [SessionStarted(), ActionExecuted("action_listen")]


async def test_a_plan_being_built_stays_open() -> None:
    goals = [{"text": "Increase sales by 10% this quarter", "plan": "sales", "reasons": []}]
    events = await run(tracker({"language": "en", "aspect": None, "plan_goals": goals, "requested_slot": "goal"},
                               active_loop={"name": "plan_form"}))
    assert events == [SessionStarted(), SlotSet("language", "en"), SlotSet("plan_goals", goals),
                      SlotSet("requested_slot", "goal"), ActiveLoop("plan_form"), ActionExecuted("action_listen")]


async def test_without_carry_over_a_session_starts_empty() -> None:
    domain = {**DOMAIN, "session_config": {"carry_over_slots_to_new_session": False}}
    events = await run(tracker({"language": "en", "aspect": "tools"}, active_loop={"name": "plan_form"}), domain)
    assert events == [SessionStarted(), ActionExecuted("action_listen")]
