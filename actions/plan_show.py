""""Pokaż mój plan" / "show my plan": the goals so far while building, else the user's latest
saved plan (the conversation's sender id is the user; saved plans outlive server restarts)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, plan_state as ps
from actions.knowledge_base import KnowledgeUnavailable, get_service
from actions.plan_goals import progress_text
from knowledge.drafting import chat_text, plan_json


class ActionShowPlan(Action):
    def name(self) -> Text:
        return "action_show_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            if ps.in_progress(tracker):
                lang = conversation.language(tracker)
                goals = ps.GoalList.from_tracker(tracker)
                dispatcher.utter_message(text=progress_text(goals, tracker.get_slot(ps.BUSINESS), lang))
                return []
            stored = get_service().latest_plan(tracker.sender_id)
            if stored is None:
                dispatcher.utter_message(response="utter_no_saved_plan")
                return []
            blocks = get_service().render_saved(stored)
        except KnowledgeUnavailable:
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        dispatcher.utter_message(response="utter_show_plan_intro", date=stored.created_at.date().isoformat(),
                                 plan_id=stored.id)
        for block in blocks:
            dispatcher.utter_message(text=chat_text(block))
        dispatcher.utter_message(json_message={"plan": plan_json(stored), "language": stored.language})
        return []
