"""When the message is not understood well enough: offer up to three likely topics."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, handoff
from actions.answer_question import ASPECT_INTENT_PREFIX, FAQ_INTENT_PREFIX
from actions.knowledge_base import KnowledgeUnavailable, get_service

MAX_SUGGESTIONS = 3
# Intents below this confidence are not worth suggesting.
MIN_SUGGESTION_CONFIDENCE = 0.05


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
            buttons = self._suggestions(tracker, lang)
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

    def _suggestions(self, tracker: Tracker, lang: str) -> List[Dict[str, str]]:
        knowledge = get_service()
        titles = {topic.aspect: topic.title for topic in knowledge.topics(lang)}
        plans = conversation.entity_values(tracker, "plan")
        buttons: List[Dict[str, str]] = []
        for ranked in tracker.latest_message.get("intent_ranking") or []:
            name, confidence = ranked.get("name") or "", ranked.get("confidence") or 0.0
            if len(buttons) == MAX_SUGGESTIONS or confidence < MIN_SUGGESTION_CONFIDENCE:
                break
            if name.startswith(ASPECT_INTENT_PREFIX):
                aspect = name[len(ASPECT_INTENT_PREFIX):]
                title = titles.get(aspect)
                # the button names a topic, so it must not inherit the plan of an earlier answer
                entities = {"aspect": aspect, "plan": plans[0] if len(plans) == 1 else "both"}
            elif name.startswith(FAQ_INTENT_PREFIX):
                faq = knowledge.faq(name[len(FAQ_INTENT_PREFIX):], lang)
                title = faq.question if faq else None
                entities = {}
            else:
                continue
            if title:
                buttons.append({"title": title, "payload": _button_payload(name, entities)})
        return buttons


def _button_payload(intent: str, entities: Dict[str, str]) -> str:
    """The message a button sends: `/<intent>` with its entities as compact JSON (Rasa's shortcut)."""
    return f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")
