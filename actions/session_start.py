"""A new session continues where the employee left off.

Rasa starts a new session after `session_expiration_time` minutes of silence (bot/domain/
_shared.yml). Its own `action_session_start` carries the slots over by repeating every `SlotSet`
event of the old session (so each session start grows with the session before it) and ends any
form. This one sets each slot once, to its current value, and keeps an open form open: a plan
half built before lunch is still being built after it ("show my plan", the next goal, "cancel"
all work as before the break).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

ACTION_LISTEN = "action_listen"


def _initial_values(domain: Optional[Dict[Text, Any]]) -> Dict[Text, Any]:
    slots = (domain or {}).get("slots") or {}
    return {name: (spec or {}).get("initial_value") for name, spec in slots.items()}


def carried_over(tracker: Tracker, domain: Optional[Dict[Text, Any]]) -> List[EventType]:
    """One `SlotSet` per slot whose value differs from its initial value, and the open form."""
    initial = _initial_values(domain)
    events: List[EventType] = [
        SlotSet(name, value) for name, value in tracker.slots.items() if value != initial.get(name)
    ]
    loop = (tracker.active_loop or {}).get("name")
    if loop:
        events.append(ActiveLoop(loop))
    return events


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        session_config = (domain or {}).get("session_config") or {}
        carry = session_config.get("carry_over_slots_to_new_session", True)
        return [SessionStarted(), *(carried_over(tracker, domain) if carry else []), ActionExecuted(ACTION_LISTEN)]
