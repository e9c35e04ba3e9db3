"""The plan form's validation: checks each answer, classifies goals at once, answers bad input.

Rasa fills the form's slots from the message (the slot mappings of bot/domain/plan_building.yml
and actions/plan_answer.py decide whether it is the answer), and runs `validate_<slot>` for what
was filled in this turn only; a message that filled nothing was left to the rules. Each hook sends
its replies itself, in the conversation's language, which an answer does not change.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import conversation, plan_state as ps
from actions.knowledge_base import get_classifier, get_horizon_signals, get_input_reader, get_service
from knowledge import PLANS
from knowledge.plan_input import clean, has_words
from language import MESSAGE_LANGUAGE

NOT_SURE_INTENT = "not_sure"
QUOTED_ANSWER_CHARS = 40
"""An answer that cannot be read is quoted back in the reply cut to this many characters."""


def _not_sure(tracker: Tracker) -> bool:
    return conversation.intent_name(tracker) == NOT_SURE_INTENT


def _answer_text(value: Any) -> str:
    """The slot's value as the plan would keep it; "" when it is not text."""
    return clean(value if isinstance(value, str) else "")


class ValidatePlanForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_plan_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return ps.required_slots(tracker)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[Dict[Text, Any]]:
        """Always name the next slot (the SDK leaves it to Rasa when the list equals the domain's)."""
        return SlotSet(ps.REQUESTED_SLOT, ps.next_slot(tracker))

    # -- shared checks -----------------------------------------------------------------------
    @staticmethod
    def _checked_text(value: Any, replies: ps.Replies) -> Optional[str]:
        """The answer's text, or None after saying why it cannot be used."""
        text = _answer_text(value)
        if not has_words(text):
            replies.response("utter_plan_input_empty")
            return None
        if len(text) > ps.MAX_TEXT_CHARS:
            replies.response("utter_plan_input_too_long", length=len(text), limit=ps.MAX_TEXT_CHARS)
            return None
        return text

    @staticmethod
    def _other_language(tracker: Tracker, replies: ps.Replies) -> None:
        """An answer in the other language is taken, and the plan stays in its language."""
        if tracker.latest_message.get(MESSAGE_LANGUAGE) not in (None, conversation.language(tracker)):
            replies.response("utter_plan_input_other_language")

    # -- one hook per slot ---------------------------------------------------------------------
    def validate_business(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        replies = ps.Replies()
        self._other_language(tracker, replies)
        text = self._checked_text(value, replies)
        if text is not None and _not_sure(tracker):
            replies.response("utter_business_hint")
            text = None
        replies.send(dispatcher)
        return {ps.BUSINESS: text}

    def validate_goal(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        goals = ps.GoalList.from_tracker(tracker)
        self._other_language(tracker, goals.replies)
        text = self._checked_text(value, goals.replies)
        if text is not None:
            lang = conversation.language(tracker)
            if _not_sure(tracker):
                if goals.pending:  # no answer to the clarifying question
                    goals.set_pending_aside(get_classifier(), lang)
                else:
                    goals.replies.response("utter_goal_not_sure_hint")
            else:
                goals.add(text, get_classifier(), lang, get_service().plan_names(lang))
        goals.replies.send(dispatcher)
        return {ps.GOAL: None, **goals.slots()}  # goals come one at a time: asked again

    def validate_goals_done(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        goals = ps.GoalList.from_tracker(tracker)
        goals.set_pending_aside(get_classifier(), conversation.language(tracker))
        goals.replace = None
        done = bool(goals.goals)
        if done:
            goals.replies.response("utter_goals_summary", **goals.counts())
        else:
            goals.replies.response("utter_goals_needed")
        goals.replies.send(dispatcher)
        return {ps.GOALS_DONE: done or None, **goals.slots()}

    def validate_horizon(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        replies = ps.Replies()
        self._other_language(tracker, replies)
        text = self._checked_text(value, replies)
        horizon = None
        if text is not None:
            lang = conversation.language(tracker)
            if _not_sure(tracker):
                horizon = {"text": text, "term": None, "not_sure": True}
            elif names_time(text, lang):
                horizon = {"text": text, "term": horizon_term(text, lang), "not_sure": False}
            else:
                replies.response("utter_horizon_unreadable", horizon=text[:QUOTED_ANSWER_CHARS])
        replies.send(dispatcher)
        return {ps.HORIZON: horizon}

    def validate_budget(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        replies = ps.Replies()
        self._other_language(tracker, replies)
        text = _answer_text(value)
        budget = None
        reading = get_input_reader().budget(text, conversation.language(tracker)) if has_words(text) else None
        if reading is None:
            replies.response("utter_plan_input_empty")
        elif reading.status == "amount":
            budget = {"text": text, "amount": reading.amount, "currency": reading.currency, "not_sure": False}
        elif _not_sure(tracker):
            budget = {"text": text, "amount": None, "currency": None, "not_sure": True}
        elif reading.status in ("negative", "zero"):
            replies.response("utter_budget_not_positive", budget=text)
        else:
            replies.response("utter_budget_unreadable", budget=text[:QUOTED_ANSWER_CHARS])
        replies.send(dispatcher)
        return {ps.BUDGET: budget}


def names_time(text: str, lang: str, numbers: bool = True) -> bool:
    """Whether a horizon answer names a time: a number (unless `numbers` is off), a period word,
    or a horizon signal."""
    return ((numbers and any(ch.isdigit() for ch in text)) or get_input_reader().names_period(text, lang)
            or horizon_term(text, lang) is not None)


def horizon_term(text: str, lang: str) -> Optional[str]:
    """"short_term", "long_term" or "mixed", from the classifier's horizon signals in the text."""
    horizon_signals = get_horizon_signals()
    plans = {reason.get("plan") for reason in get_classifier().classify(text, lang).reasons
             if reason.get("signal") in horizon_signals}
    plans &= set(PLANS)
    if plans == {"sales"}:
        return "short_term"
    if plans == {"marketing"}:
        return "long_term"
    return "mixed" if plans else None
