"""Answer a question about the two plans from the knowledge base, with its source."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, handoff
from actions.conversation import ASPECT_INTENT_PREFIX, FAQ_INTENT_PREFIX
from actions.knowledge_base import KnowledgeUnavailable, get_service

FOLLOW_UP_INTENT = "follow_up"
# The aspect that only says "the difference between the plans": a named aspect wins over it.
GENERAL_ASPECT = "overview"
DEFAULT_ASPECT = "definition"
# A message this short that names no plan continues the plan of the previous answer
# ("a budżet?", "and the team?"); a longer one does when it points back to it ("how do I
# evaluate it?": a `reference` entity, from the `references` of terms.yml).
SHORT_MESSAGE_WORDS = 4


def resolve_topic(
    intent: Optional[str],
    aspects: List[str],
    plans: List[str],
    previous_aspect: Optional[str],
    previous_plan: Optional[str],
    word_count: int,
    refers_back: bool = False,
) -> Tuple[Optional[str], str]:
    """The (aspect, plan) a question is about, from its intent, entities and the context."""
    follow_up = intent == FOLLOW_UP_INTENT
    aspect = _resolve_aspect(intent, aspects, plans, previous_aspect, follow_up)
    if aspect == GENERAL_ASPECT:
        return aspect, "both"  # the overview exists only as a comparison
    continues = follow_up or refers_back or word_count <= SHORT_MESSAGE_WORDS
    return aspect, _resolve_plan(plans, previous_plan, continues)


def _resolve_aspect(
    intent: Optional[str], aspects: List[str], plans: List[str], previous_aspect: Optional[str], follow_up: bool
) -> Optional[str]:
    """The aspect asked about; None when neither the message nor the context names one."""
    intent_aspect = intent[len(ASPECT_INTENT_PREFIX):] if intent and intent.startswith(ASPECT_INTENT_PREFIX) else None
    if intent_aspect:
        # The classifier read the whole question; a keyword ("cel" in "do jakiego celu") is
        # only a hint, used when the intent names no aspect (follow-ups).
        return intent_aspect
    specific = [aspect for aspect in aspects if aspect != GENERAL_ASPECT]
    if specific:
        return specific[0]
    if aspects:
        return GENERAL_ASPECT
    if previous_aspect and (follow_up or plans):
        return previous_aspect
    if plans:
        return DEFAULT_ASPECT
    return None


def _resolve_plan(plans: List[str], previous_plan: Optional[str], continues: bool) -> str:
    """The plan asked about: both when the message names both (or neither, without context)."""
    named = [plan for plan in plans if plan != "both"]
    if len(set(named)) >= 2 or "both" in plans:
        return "both"
    if named:
        return named[0]
    if previous_plan and continues:
        return previous_plan
    return "both"


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = conversation.language(tracker)
        if conversation.is_too_long(tracker):
            dispatcher.utter_message(response="utter_message_too_long")
            return []
        intent = conversation.intent_name(tracker)
        knowledge = get_service()
        events: List[Dict[Text, Any]] = []
        try:
            if intent and intent.startswith(FAQ_INTENT_PREFIX):
                answer = knowledge.faq(intent[len(FAQ_INTENT_PREFIX):], lang)
            else:
                aspect, plan = _topic(tracker, intent)
                if aspect is None:
                    return _decline(dispatcher, tracker)
                answer = knowledge.answer(aspect, plan, lang)
                events = [SlotSet("aspect", aspect), SlotSet("plan", plan)]
        except KnowledgeUnavailable:  # unreachable, or a database never loaded
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        if answer is None:
            return _decline(dispatcher, tracker)
        dispatcher.utter_message(text=answer.text)
        dispatcher.utter_message(json_message=conversation.source_payload(answer.source, lang))
        return events


def _topic(tracker: Tracker, intent: Optional[str]) -> Tuple[Optional[str], str]:
    """`resolve_topic` on the latest message and the slots of the previous answer."""
    return resolve_topic(
        intent,
        conversation.entity_values(tracker, "aspect"),
        conversation.entity_values(tracker, "plan"),
        tracker.get_slot("aspect"),
        tracker.get_slot("plan"),
        len(conversation.message_text(tracker).split()),
        refers_back="plan" in conversation.entity_values(tracker, "reference"),
    )


def _decline(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Nothing in the guide answers this: the default reply, and a person on the second in a row."""
    dispatcher.utter_message(response="utter_default")
    handoff.after_decline(dispatcher, tracker)
    return []
