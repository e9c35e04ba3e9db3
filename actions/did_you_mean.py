"""When the message is not understood well enough: offer up to three likely topics
(actions/suggestions.py), or say it was not understood."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, handoff
from actions.knowledge_base import KnowledgeUnavailable
from actions.suggestions import suggestions


class ActionDidYouMean(Action):
    def name(self) -> Text:
        return "action_did_you_mean"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if conversation.is_too_long(tracker):
            dispatcher.utter_message(response="utter_message_too_long")
            return []
        lang = conversation.language(tracker)
        try:
            buttons = suggestions(tracker, lang)
        except KnowledgeUnavailable:  # unreachable, or a database never loaded
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        if buttons:
            dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
            dispatcher.utter_message(response="utter_fallback_payload")
        else:
            dispatcher.utter_message(response="utter_default")
        handoff.after_decline(dispatcher, tracker)  # not understood twice in a row: offer a person
        return []
