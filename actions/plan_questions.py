"""The plan form's questions. Each first sends the replies the validation queued (verdicts,
bad-input notes), then asks; they run after the validation, in the plan's language."""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import plan_state as ps


class AskPlanSlot(Action, metaclass=abc.ABCMeta):
    """Send the queued replies, then the question (the SDK does not register this base class)."""

    @abc.abstractmethod
    def name(self) -> Text:
        ...

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        dispatcher.utter_message(response=f"utter_ask_{self.name()[len('action_ask_'):]}")

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        events = ps.flush_notices(dispatcher, tracker)
        self.ask(dispatcher, tracker)
        return events


class ActionAskBusiness(AskPlanSlot):
    def name(self) -> Text:
        return "action_ask_business"


class ActionAskGoal(AskPlanSlot):
    def name(self) -> Text:
        return "action_ask_goal"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
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


class ActionAskHorizon(AskPlanSlot):
    def name(self) -> Text:
        return "action_ask_horizon"


class ActionAskBudget(AskPlanSlot):
    def name(self) -> Text:
        return "action_ask_budget"
