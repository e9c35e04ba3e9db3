"""The plan form's validation: reads each answer, classifies goals at once, checks bad input.

The form's free-text slots (business, goal, horizon, budget) have custom mappings: this action
decides whether a fresh message answers the question asked or is something else (a question
about the plans, "cancel", "remove goal 2" ...). Something else is left unfilled, so Rasa
rejects the form for this turn and the rules of `data/rules/plan_building.yml` handle the
message; afterwards the form asks its question again. Every intent this action may leave to
the rules has such a rule (tests/unit/test_plan_form.py checks it).

Replies are queued (see `actions.plan_state`) and sent by the form's next question.
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
from actions.plan_goals import list_events, remove_goal, replace_goal
from knowledge.plan_input import clean, has_words

# Intents the rules handle in the middle of the form, and how sure NLU must be before the
# message is taken as one of them rather than as the answer to the form's question.
CONTROL_INTENTS = (
    "cancel", "start_plan", "show_plan", "export_plan", "remove_goal", "replace_goal", "switch_language", "help",
    "ask_human",
)
SOCIAL_INTENTS = ("greet", "thank", "goodbye", "affirm", "deny")
QUESTION_INTENTS = (
    "ask_overview", "ask_definition", "ask_goals", "ask_scope", "ask_tools", "ask_team", "ask_budget",
    "ask_evaluation", "ask_combining", "faq_difference_sales_marketing", "faq_marketing_plan_includes_sales",
    "follow_up",
)
OUT_OF_SCOPE_INTENT = "out_of_scope"
FEEDBACK_INTENT = "feedback"
"""A vote on an answer (`/feedback{...}`, bot/domain/feedback.yml): never an answer, always the rules'."""
GOALS_DONE_INTENT = "goals_done"
NOT_SURE_INTENT = "not_sure"
RULE_HANDLED_INTENTS = CONTROL_INTENTS + SOCIAL_INTENTS + QUESTION_INTENTS + (
    GOALS_DONE_INTENT, OUT_OF_SCOPE_INTENT, FEEDBACK_INTENT,
)
# Measured on the trained model: commands score 0.44-1.0 ("help" 0.44, "stop" 0.68), while goals
# and amounts that NLU files under a command stay below 0.4 ("$20,000" remove_goal 0.47 is an
# amount, which wins anyway), and a goal filed under "that's all" scored 0.53.
CONTROL_MIN_CONFIDENCE = 0.4
SURE_CONTROL_MIN_CONFIDENCE = 0.8
"""When the message has what the question asks for (an amount, a period), a command must be this sure."""
SOCIAL_MIN_CONFIDENCE = 0.6
SOCIAL_MAX_WORDS = 4
QUESTION_MIN_CONFIDENCE = 0.9
"""A question intent without a question mark must be this sure; with "?", any intent NLU chose."""
GOALS_DONE_MIN_CONFIDENCE = 0.7

# Events the processor adds between a user message and the form's run, and the form's own
# markers at the end of the tracker it sends: none of them mean the message was handled.
_NEUTRAL_EVENTS = ("slot", "user_featurization", "entities")


def is_fresh_answer(tracker: Tracker) -> bool:
    """Whether the form runs right after the user's message (not after a rule handled it)."""
    events = tracker.events
    i = len(events) - 1
    while i >= 0 and events[i].get("event") == "slot":
        i -= 1
    if i >= 0 and events[i].get("event") == "action" and events[i].get("name") == ps.PLAN_FORM:
        i -= 1
    while i >= 0:
        kind = events[i].get("event")
        if kind == "user":
            return True
        if kind not in _NEUTRAL_EVENTS:
            return False
        i -= 1
    return False


def _intent(tracker: Tracker) -> tuple:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def claimed_by_rule(slot: str, intent: Optional[str], confidence: float, text: str, looks_like_answer: bool) -> bool:
    """Whether the message is for a rule (a question, a command) rather than the answer to `slot`.

    `looks_like_answer`: the text has what the question asks for (an amount for the budget, a
    period for the horizon), so only a confident command takes it away from the form.
    """
    if intent == FEEDBACK_INTENT:
        return True
    if intent in CONTROL_INTENTS:
        return confidence >= (SURE_CONTROL_MIN_CONFIDENCE if looks_like_answer else CONTROL_MIN_CONFIDENCE)
    if looks_like_answer:
        return False
    if intent in SOCIAL_INTENTS:  # "tak", "thanks" – not "-5" or "🍕" that NLU files under "affirm"
        return (confidence >= SOCIAL_MIN_CONFIDENCE and len(text.split()) <= SOCIAL_MAX_WORDS
                and any(ch.isalpha() for ch in text) and not any(ch.isdigit() for ch in text))
    if intent in QUESTION_INTENTS:
        return "?" in text or confidence >= QUESTION_MIN_CONFIDENCE
    if intent == OUT_OF_SCOPE_INTENT:
        # What a company sells ("oprogramowanie księgowe") or a goal outside both plans
        # ("hire an accountant") reads as off-topic; only a question is declined.
        return "?" in text
    if intent == GOALS_DONE_INTENT:
        return slot == ps.BUSINESS and confidence >= GOALS_DONE_MIN_CONFIDENCE
    return False


class ValidatePlanForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_plan_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        command = self._goal_command(tracker)
        if command is not None:
            events = self._change_goals(command, tracker)
        else:
            events = await super().run(dispatcher, tracker, domain)
        # A message that was not an answer (a question, "in English") sets the plan's language.
        lang = tracker.get_slot("language")
        if lang in conversation.LANGUAGES and lang != tracker.get_slot(ps.PLAN_LANGUAGE):
            events.append(SlotSet(ps.PLAN_LANGUAGE, lang))
        return events

    def _goal_command(self, tracker: Tracker) -> Optional[str]:
        """"remove" / "replace" for a plainly worded request about a numbered goal that NLU filed
        under another intent ("replace goal 1 with double revenue" read as a goal)."""
        if tracker.get_slot(ps.REQUESTED_SLOT) not in (ps.GOAL, ps.HORIZON, ps.BUDGET) or not is_fresh_answer(tracker):
            return None
        intent, confidence = _intent(tracker)
        if intent in ("remove_goal", "replace_goal") and confidence >= CONTROL_MIN_CONFIDENCE:
            return None  # the rules run the action
        if intent == FEEDBACK_INTENT:
            return None
        if not tracker.get_slot(ps.GOALS):
            return None
        return get_input_reader().goal_command(conversation.message_text(tracker), conversation.language(tracker))

    def _change_goals(self, command: str, tracker: Tracker) -> List[Dict[Text, Any]]:
        goals = ps.GoalList.from_tracker(tracker)
        change = remove_goal if command == "remove" else replace_goal
        changed = change(goals, conversation.message_text(tracker), conversation.language(tracker),
                         tracker.get_slot(ps.BUSINESS))
        events = list_events(goals) if changed else [SlotSet(ps.NOTICES, goals.notices.items or None)]
        tracker.add_slots(events)
        missing = (slot for slot in ps.required_slots(tracker) if tracker.slots.get(slot) is None)
        return events + [SlotSet(ps.REQUESTED_SLOT, next(missing, None))]

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return ps.required_slots(tracker)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[Dict[Text, Any]]:
        """Always name the next slot (the SDK leaves it to Rasa when the list equals the domain's)."""
        missing = (s for s in ps.required_slots(tracker) if tracker.slots.get(s) is None)
        return SlotSet(ps.REQUESTED_SLOT, next(missing, None))

    # -- extraction: is the fresh message the answer to the question asked? ------------------
    def _answer(self, tracker: Tracker, slot: str, looks_like_answer=lambda text: False) -> Dict[Text, Any]:
        if tracker.get_slot(ps.REQUESTED_SLOT) != slot or not is_fresh_answer(tracker):
            return {}
        text = conversation.message_text(tracker)
        intent, confidence = _intent(tracker)
        if slot == ps.GOAL and intent == GOALS_DONE_INTENT and confidence >= GOALS_DONE_MIN_CONFIDENCE:
            return {}
        if claimed_by_rule(slot, intent, confidence, text, looks_like_answer(text)):
            return {}
        return {slot: text}

    async def extract_business(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._answer(tracker, ps.BUSINESS)

    async def extract_goal(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._answer(tracker, ps.GOAL)

    async def extract_goals_done(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot(ps.REQUESTED_SLOT) != ps.GOAL or not is_fresh_answer(tracker):
            return {}
        intent, confidence = _intent(tracker)
        if intent == GOALS_DONE_INTENT and confidence >= GOALS_DONE_MIN_CONFIDENCE:
            return {ps.GOALS_DONE: True}
        return {}

    async def extract_horizon(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        lang = ps.plan_language(tracker)
        return self._answer(tracker, ps.HORIZON, lambda text: _names_time(text, lang))

    async def extract_budget(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        lang = ps.plan_language(tracker)
        return self._answer(tracker, ps.BUDGET, lambda text: get_input_reader().budget(text, lang).status == "amount")

    # -- validation --------------------------------------------------------------------------
    def _checked_text(self, value: Any, tracker: Tracker, notices: ps.Notices) -> Optional[str]:
        """The answer's text, or None after queueing why it cannot be used."""
        text = clean(value if isinstance(value, str) else "")
        if not has_words(text):
            notices.response("utter_plan_input_empty")
            return None
        if len(text) > ps.MAX_TEXT_CHARS:
            notices.response("utter_plan_input_too_long", length=len(text), limit=ps.MAX_TEXT_CHARS)
            return None
        return text

    def _language(self, tracker: Tracker, notices: ps.Notices) -> Dict[Text, Any]:
        """An answer in the other language is taken, and the plan stays in its language."""
        lang, plan_lang = tracker.get_slot("language"), tracker.get_slot(ps.PLAN_LANGUAGE)
        if plan_lang in conversation.LANGUAGES and lang in conversation.LANGUAGES and lang != plan_lang:
            notices.response("utter_plan_input_other_language")
            return {"language": plan_lang}
        return {}

    def validate_business(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # a reset (starting a plan), not an answer
            return {ps.BUSINESS: None}
        notices = ps.Notices(tracker.get_slot(ps.NOTICES))
        language = self._language(tracker, notices)
        text = self._checked_text(value, tracker, notices)
        if text is not None and _intent(tracker)[0] == NOT_SURE_INTENT:
            notices.response("utter_business_hint")
            text = None
        return {ps.BUSINESS: text, ps.NOTICES: notices.items or None, **language}

    def validate_goal(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # a reset (starting a plan), not an answer
            return {ps.GOAL: None}
        goals = ps.GoalList.from_tracker(tracker)
        language = self._language(tracker, goals.notices)
        text = self._checked_text(value, tracker, goals.notices)
        if text is not None:
            lang = ps.plan_language(tracker)
            if _intent(tracker)[0] == NOT_SURE_INTENT:
                if goals.pending:  # no answer to the clarifying question
                    goals.set_pending_aside(get_classifier(), lang)
                else:
                    goals.notices.response("utter_goal_not_sure_hint")
            else:
                goals.add(text, get_classifier(), lang, get_service().plan_names(lang))
        return {ps.GOAL: None, **goals.slots(), **language}

    def validate_goals_done(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # a reset (starting a plan), not an answer
            return {ps.GOALS_DONE: None}
        goals = ps.GoalList.from_tracker(tracker)
        goals.set_pending_aside(get_classifier(), ps.plan_language(tracker))
        goals.replace = None
        if not goals.goals:
            goals.notices.response("utter_goals_needed")
            return {ps.GOALS_DONE: None, **goals.slots()}
        goals.notices.response("utter_goals_summary", **goals.counts())
        return {ps.GOALS_DONE: True, **goals.slots()}

    def validate_horizon(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # a reset (starting a plan), not an answer
            return {ps.HORIZON: None}
        notices = ps.Notices(tracker.get_slot(ps.NOTICES))
        language = self._language(tracker, notices)
        text = self._checked_text(value, tracker, notices)
        horizon = None
        if text is not None:
            lang = ps.plan_language(tracker)
            if _intent(tracker)[0] == NOT_SURE_INTENT:
                horizon = {"text": text, "term": None, "not_sure": True}
            elif _names_time(text, lang):
                horizon = {"text": text, "term": _horizon_term(text, lang), "not_sure": False}
            else:
                notices.response("utter_horizon_unreadable", horizon=text[:40])
        return {ps.HORIZON: horizon, ps.NOTICES: notices.items or None, **language}

    def validate_budget(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if value is None:  # a reset (starting a plan), not an answer
            return {ps.BUDGET: None}
        notices = ps.Notices(tracker.get_slot(ps.NOTICES))
        language = self._language(tracker, notices)
        text = clean(value if isinstance(value, str) else "")
        budget = None
        reading = get_input_reader().budget(text, ps.plan_language(tracker)) if has_words(text) else None
        if reading is None:
            notices.response("utter_plan_input_empty")
        elif reading.status == "amount":
            budget = {"text": text, "amount": reading.amount, "currency": reading.currency, "not_sure": False}
        elif _intent(tracker)[0] == NOT_SURE_INTENT:
            budget = {"text": text, "amount": None, "currency": None, "not_sure": True}
        elif reading.status in ("negative", "zero"):
            notices.response("utter_budget_not_positive", budget=text)
        else:
            notices.response("utter_budget_unreadable", budget=text[:40])
        return {ps.BUDGET: budget, ps.NOTICES: notices.items or None, **language}


def _names_time(text: str, lang: str) -> bool:
    """Whether a horizon answer names a time: a number, a period word, or a horizon signal."""
    return (any(ch.isdigit() for ch in text) or get_input_reader().names_period(text, lang)
            or _horizon_term(text, lang) is not None)


def _horizon_term(text: str, lang: str) -> Optional[str]:
    """"short_term", "long_term" or "mixed", from the classifier's horizon signals in the text."""
    horizon_signals = get_horizon_signals()
    plans = {reason.get("plan") for reason in get_classifier().classify(text, lang).reasons
             if reason.get("signal") in horizon_signals}
    plans &= {"sales", "marketing"}
    if plans == {"sales"}:
        return "short_term"
    if plans == {"marketing"}:
        return "long_term"
    return "mixed" if plans else None
