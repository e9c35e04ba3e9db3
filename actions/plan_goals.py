"""Changing the goal list while a plan is being built ("usuń cel 2", "replace goal 1 with ..."),
and sorting a single goal stated outside the plan builder.

The rules of data/rules/plan_building.yml run these actions when NLU reads the request
(`remove_goal`, `replace_goal`); `remove_goal` and `replace_goal` below do the work and collect
the replies, which the action sends in the same turn.
"""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, plan_state as ps
from actions.knowledge_base import KnowledgeUnavailable, get_classifier, get_input_reader, get_service
from knowledge.drafting import chat_text, render_progress
from knowledge.plan_input import clean, has_words


def _which_goal(text: str, goals: ps.GoalList, lang: str) -> Tuple[Optional[int], Optional[str], Optional[int]]:
    """(goal number, replacement text, number the user gave that does not exist)."""
    reader = get_input_reader()
    reference = reader.goal_reference(text, lang)
    if reference is not None:
        number = goals.resolve(reference.number)
        replacement, _ = reader.replacement(text, lang, reference.end)
        return number, replacement, (reference.number if number is None else None)
    replacement, separator = reader.replacement(text, lang, 0)
    number = reader.goal_by_content(text[:separator], lang, [g["text"] for g in goals.goals])
    return number, replacement, None


def progress_text(goals: ps.GoalList, business: Optional[str], lang: str) -> str:
    """The plan in progress (business, goals, goals set aside) as chat text."""
    return chat_text(render_progress(
        business, goals.goals, goals.set_aside, goals.pending, get_service().drafting().labels(lang),
        get_service().plan_names(lang)))


def _list_reply(goals: ps.GoalList, business: Optional[str], lang: str) -> None:
    goals.replies.text(progress_text(goals, business, lang))


def _pointed_goal(goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> Tuple[Optional[int], Optional[str]]:
    """(goal number, replacement text) of the goal the text points at. Without one the number is
    None, and the replies say there are no goals yet, or ask which goal and list the goals."""
    if not goals.goals:
        goals.replies.response("utter_no_goals_yet")
        return None, None
    number, replacement, given = _which_goal(text, goals, lang)
    if number is None:
        if given is not None:
            goals.replies.response("utter_no_such_goal", number=given, count=len(goals.goals))
        else:
            goals.replies.response("utter_which_goal")
        _list_reply(goals, business, lang)
    return number, replacement


def remove_goal(goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> bool:
    """Remove the goal the text points at; returns whether one was removed."""
    number, _ = _pointed_goal(goals, text, lang, business)
    if number is None:
        return False
    removed = goals.remove(number)
    goals.replies.response("utter_goal_removed", number=number, goal=removed["text"])
    if goals.goals:
        _list_reply(goals, business, lang)
    return True


def replace_goal(goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> bool:
    """Replace the goal the text points at with the text after "na" / "with" ...; without a new
    text, the form's next question (action_ask_goal) asks for it. Returns whether the list changed."""
    number, replacement = _pointed_goal(goals, text, lang, business)
    if number is None:
        return False
    goals.replace = {"number": number, "text": goals.goals[number - 1]["text"]}
    replacement = clean(replacement)
    if not replacement or not has_words(replacement):
        return True
    if len(replacement) > ps.MAX_TEXT_CHARS:
        goals.replies.response("utter_plan_input_too_long", length=len(replacement), limit=ps.MAX_TEXT_CHARS)
        return True
    # An unclear goal may be waiting for its clarifying question. The new text is a goal, not the
    # answer to it; if the new text is unclear too, it takes the one clarifying question and the
    # waiting goal is set aside (the goal being replaced stays, marked for the new text's
    # verdict); otherwise the waiting goal goes on waiting.
    waiting, goals.pending = goals.pending, None
    goals.add(replacement, get_classifier(), lang, get_service().plan_names(lang))
    if waiting and goals.pending:
        goals.put_aside(waiting, get_classifier(), lang)
    elif waiting:
        goals.pending = waiting
    return True


def list_events(goals: ps.GoalList) -> List[Dict[str, Any]]:
    """The goal list's slots; with no goals left, goals are asked for again."""
    events = goals.events()
    if not goals.goals:
        events.append(SlotSet(ps.GOALS_DONE, None))
    return events


class _GoalListAction(Action, metaclass=abc.ABCMeta):
    """Run a change of the goal list while a plan is in progress, and send its replies at once."""

    @abc.abstractmethod
    def name(self) -> Text:
        ...

    @abc.abstractmethod
    def change(self, goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> bool:
        ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if not ps.in_progress(tracker):
            dispatcher.utter_message(response="utter_no_plan_in_progress")
            return []
        lang = conversation.language(tracker)
        goals = ps.GoalList.from_tracker(tracker)
        try:
            changed = self.change(goals, conversation.message_text(tracker), lang, tracker.get_slot(ps.BUSINESS))
        except KnowledgeUnavailable:
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        goals.replies.send(dispatcher)
        return list_events(goals) if changed else []


class ActionRemoveGoal(_GoalListAction):
    def name(self) -> Text:
        return "action_remove_goal"

    def change(self, goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> bool:
        return remove_goal(goals, text, lang, business)


class ActionReplaceGoal(_GoalListAction):
    def name(self) -> Text:
        return "action_replace_goal"

    def change(self, goals: ps.GoalList, text: str, lang: str, business: Optional[str]) -> bool:
        return replace_goal(goals, text, lang, business)


class ActionClassifyGoal(Action):
    """A goal stated outside the plan builder: sort it, and offer to build a whole plan."""

    def name(self) -> Text:
        return "action_classify_goal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if conversation.is_too_long(tracker):
            dispatcher.utter_message(response="utter_message_too_long")
            return []
        lang = conversation.language(tracker)
        text = clean(conversation.message_text(tracker))
        if not has_words(text):
            dispatcher.utter_message(response="utter_default")
            return []
        try:
            result = get_classifier().classify(text, lang)
            names = get_service().plan_names(lang)
        except KnowledgeUnavailable:
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        reasons = [dict(r) for r in result.reasons]
        reason = ps.verdict_reason(result.plan, reasons) if reasons else ""
        if result.plan == "unclear":
            dispatcher.utter_message(response="utter_single_goal_unclear")
            if reason:
                dispatcher.utter_message(text=reason)
        elif result.plan == "both":
            dispatcher.utter_message(response="utter_single_goal_both", reason=reason)
        else:
            dispatcher.utter_message(response="utter_single_goal_verdict", plan_name=names.get(result.plan, result.plan),
                                     reason=reason)
        dispatcher.utter_message(json_message=ps.classification_payload(text, result))
        dispatcher.utter_message(response="utter_offer_plan")
        return []
