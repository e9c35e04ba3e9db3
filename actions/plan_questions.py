"""The plan form's goal question, which depends on the goal list: the first goal, the next one,
the clarifying question of an unclear goal, or the new text of a goal being replaced. The other
questions are the domain's `utter_ask_<slot>` responses."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import plan_state as ps


class ActionAskGoal(Action):
    def name(self) -> Text:
        return "action_ask_goal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        goals = ps.GoalList.from_tracker(tracker)
        if goals.pending:
            dispatcher.utter_message(response="utter_clarify_goal", goal=goals.pending)
        elif goals.replace:
            dispatcher.utter_message(response="utter_ask_replacement", number=goals.replace["number"],
                                     goal=goals.replace["text"])
        elif not goals.goals:
            dispatcher.utter_message(response="utter_ask_first_goal")
        else:
            dispatcher.utter_message(response="utter_ask_next_goal")
        return []
