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
    intent_aspect = intent[len(ASPECT_INTENT_PREFIX):] if intent and intent.startswith(ASPECT_INTENT_PREFIX) else None
    follow_up = intent == FOLLOW_UP_INTENT
    specific = [aspect for aspect in aspects if aspect != GENERAL_ASPECT]
    if intent_aspect:
        # The classifier read the whole question; a keyword ("cel" in "do jakiego celu") is
        # only a hint, used when the intent names no aspect (follow-ups).
        aspect = intent_aspect
    elif specific:
        aspect = specific[0]
    elif aspects:
        aspect = GENERAL_ASPECT
    elif previous_aspect and (follow_up or plans):
        aspect = previous_aspect
    elif plans:
        aspect = DEFAULT_ASPECT
    else:
        aspect = None

    named = [plan for plan in plans if plan != "both"]
    if len(set(named)) >= 2 or "both" in plans:
        plan = "both"
    elif named:
        plan = named[0]
    elif previous_plan and (follow_up or refers_back or word_count <= SHORT_MESSAGE_WORDS):
        plan = previous_plan
    else:
        plan = "both"
    if aspect == GENERAL_ASPECT:
        plan = "both"  # the overview exists only as a comparison
    return aspect, plan


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
        try:
            if intent and intent.startswith(FAQ_INTENT_PREFIX):
                answer = knowledge.faq(intent[len(FAQ_INTENT_PREFIX):], lang)
                events: List[Dict[Text, Any]] = []
            else:
                aspect, plan = resolve_topic(
                    intent,
                    conversation.entity_values(tracker, "aspect"),
                    conversation.entity_values(tracker, "plan"),
                    tracker.get_slot("aspect"),
                    tracker.get_slot("plan"),
                    len(conversation.message_text(tracker).split()),
                    refers_back="plan" in conversation.entity_values(tracker, "reference"),
                )
                if aspect is None:
                    dispatcher.utter_message(response="utter_default")
                    handoff.after_decline(dispatcher, tracker)
                    return []
                answer = knowledge.answer(aspect, plan, lang)
                events = [SlotSet("aspect", aspect), SlotSet("plan", plan)]
        except KnowledgeUnavailable:  # unreachable, or a database never loaded
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            handoff.after_decline(dispatcher, tracker)
            return []
        dispatcher.utter_message(text=answer.text)
        dispatcher.utter_message(json_message=conversation.source_payload(answer.source, lang))
        return events
