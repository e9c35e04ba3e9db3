"""Starting, restarting and cancelling a plan."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import plan_state as ps


class ActionStartPlan(Action):
    """Forget any plan in progress and start a new one."""

    def name(self) -> Text:
        return "action_start_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        restarting = ps.in_progress(tracker)
        dispatcher.utter_message(response="utter_plan_restarted" if restarting else "utter_plan_intro")
        return ps.reset_events()


class ActionCancelPlan(Action):
    """Drop the plan in progress; nothing of it is saved."""

    def name(self) -> Text:
        return "action_cancel_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        was_building = tracker.latest_action_name == "action_deactivate_loop" or ps.in_progress(tracker)
        dispatcher.utter_message(response="utter_plan_cancelled" if was_building else "utter_nothing_to_cancel")
        return ps.reset_events() if was_building else []
