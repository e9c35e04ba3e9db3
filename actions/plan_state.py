"""What the plan-building actions share: the slots of a plan in progress, the goal list and its
rules (classify at once, one clarifying question, set aside), and the replies a change of the
list produces, which the action that made the change sends in the same turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge import PLAN_VIEWS, PLANS
from language.folding import fold

PLAN_FORM = "plan_form"
REQUESTED_SLOT = "requested_slot"
BUSINESS = "business"
GOAL = "goal"
GOALS_DONE = "goals_done"
HORIZON = "horizon"
BUDGET = "budget"
GOALS = "plan_goals"
SET_ASIDE = "plan_set_aside"
PENDING = "pending_goal"
REPLACE = "goal_to_replace"
PLAN_SLOTS = (BUSINESS, GOAL, GOALS_DONE, HORIZON, BUDGET, GOALS, SET_ASIDE, PENDING, REPLACE)

MAX_GOALS = 15
MAX_TEXT_CHARS = 300
"""A goal, a business description or a horizon longer than this is asked to be shortened."""


def in_progress(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == PLAN_FORM


def reset_events() -> List[Dict[str, Any]]:
    """Forget the plan in progress."""
    return [SlotSet(slot, None) for slot in PLAN_SLOTS] + [SlotSet(REQUESTED_SLOT, None)]


def required_slots(tracker: Tracker) -> List[str]:
    """The form's slots: goals are asked for until the user is done (or a goal is being replaced
    or clarified); `goals_done` is never asked for, it is filled by "that's all"."""
    collecting = not tracker.get_slot(GOALS_DONE) or tracker.get_slot(REPLACE) or tracker.get_slot(PENDING)
    return [BUSINESS] + ([GOAL] if collecting else []) + [GOALS_DONE, HORIZON, BUDGET]


def next_slot(tracker: Tracker) -> Optional[str]:
    """The first required slot without a validated value. `goal` holds one message at a time and
    is asked for until the goals are done; the horizon and the budget are what validation made of
    the answer (a dict), not a text Rasa filled in a turn whose validation never ran."""
    for slot in required_slots(tracker):
        value = tracker.get_slot(slot)
        if value is None or slot == GOAL or (slot in (HORIZON, BUDGET) and not isinstance(value, dict)):
            return slot
    return None


# ---- replies ------------------------------------------------------------------------------


class Replies:
    """The replies of one action, collected while it works and sent before it returns: a response
    with its variables, a text from the knowledge base, or a custom JSON payload."""

    def __init__(self) -> None:
        self.items: List[Dict[str, Any]] = []

    def response(self, name: str, **variables: Any) -> None:
        self.items.append({"response": name, "variables": variables})

    def text(self, text: str) -> None:
        self.items.append({"text": text})

    def json(self, payload: Dict[str, Any]) -> None:
        self.items.append({"json": payload})

    def send(self, dispatcher: CollectingDispatcher) -> None:
        for item in self.items:
            if "response" in item:
                dispatcher.utter_message(response=item["response"], **item["variables"])
            elif "text" in item:
                dispatcher.utter_message(text=item["text"])
            else:
                dispatcher.utter_message(json_message=item["json"])
        self.items = []


# ---- the goal list -----------------------------------------------------------------------


def classification_payload(goal: str, classification: Any) -> Dict[str, Any]:
    """The custom JSON sent for every classified goal (ARCHITECTURE.md, "Contracts")."""
    data = classification.to_json()
    return {"classification": {"goal": goal, "plan": data["plan"], "reasons": data["reasons"]}}


def verdict_reason(plan: str, reasons: List[Mapping[str, Any]]) -> str:
    """The short reason shown with a verdict: the first reason behind each plan it names."""
    wanted = PLANS if plan == "both" else (plan,)
    chosen = [next((r for r in reasons if r.get("plan") == p), None) for p in wanted]
    chosen = [r for r in chosen if r] or reasons[:1]
    return " ".join(str(r["text"]) for r in chosen)


@dataclass
class GoalList:
    """The goals of the plan in progress, read from and written back to the slots."""

    goals: List[Dict[str, Any]] = field(default_factory=list)
    set_aside: List[Dict[str, Any]] = field(default_factory=list)
    pending: Optional[str] = None
    """An unclear goal waiting for the answer to its one clarifying question."""
    replace: Optional[Dict[str, Any]] = None
    """{"number": n, "text": old goal}: the next goal given replaces goal n."""
    replies: Replies = field(default_factory=Replies)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> "GoalList":
        return cls(
            goals=[dict(g) for g in tracker.get_slot(GOALS) or []],
            set_aside=[dict(g) for g in tracker.get_slot(SET_ASIDE) or []],
            pending=tracker.get_slot(PENDING) or None,
            replace=dict(tracker.get_slot(REPLACE)) if tracker.get_slot(REPLACE) else None,
        )

    def slots(self) -> Dict[str, Any]:
        return {
            GOALS: self.goals or None,
            SET_ASIDE: self.set_aside or None,
            PENDING: self.pending,
            REPLACE: self.replace,
        }

    def events(self) -> List[Dict[str, Any]]:
        return [SlotSet(name, value) for name, value in self.slots().items()]

    def number_of(self, text: str) -> Optional[int]:
        key = fold(" ".join(text.split()))
        for number, goal in enumerate(self.goals, start=1):
            if fold(" ".join(goal["text"].split())) == key:
                return number
        return None

    def add(self, text: str, classifier: Any, lang: str, plan_names: Mapping[str, str]) -> None:
        """Classify a new goal (or the answer to the clarifying question) and record the verdict."""
        if self.pending:
            original, clarification = self.pending, text
            classified_text = f"{original}. {clarification}"
        else:
            if self._refused(text):
                return
            original, clarification, classified_text = text, None, text
        result = classifier.classify(classified_text, lang)
        reasons = [dict(r) for r in result.reasons]
        if result.plan != "unclear":
            self._record(original, clarification, result.plan, reasons, plan_names)
        elif clarification is None:
            self._ask_to_clarify(original, reasons)
        else:
            self._set_aside_clarified(original, clarification, reasons)
        self.replies.json(classification_payload(classified_text, result))

    def _refused(self, text: str) -> bool:
        """Whether a new goal is refused (already in the list, or the list is full), with the reply."""
        existing = self.number_of(text)
        if existing is not None and not (self.replace and self.replace["number"] == existing):
            self.replies.response("utter_goal_duplicate", goal=text, number=existing)
            return True
        if self.replace is None and len(self.goals) >= MAX_GOALS:
            self.replies.response("utter_goal_limit", count=MAX_GOALS)
            return True
        return False

    def _ask_to_clarify(self, original: str, reasons: List[Dict[str, Any]]) -> None:
        """An unclear goal gets one clarifying question, asked by action_ask_goal."""
        self.pending = original
        if reasons:
            self.replies.text(verdict_reason("unclear", reasons))

    def _set_aside_clarified(self, original: str, clarification: str, reasons: List[Dict[str, Any]]) -> None:
        """Still unclear after the clarifying question: the goal is set aside (and a goal being
        replaced by it is dropped)."""
        self.pending = None
        self.set_aside.append({"text": original, "clarification": clarification, "reasons": reasons})
        if self.replace:
            self._drop(self.replace["number"])
        self.replace = None
        self.replies.response("utter_goal_set_aside", goal=original)

    def _record(self, original: str, clarification: Optional[str], plan: str, reasons: List[Dict[str, Any]],
                plan_names: Mapping[str, str]) -> None:
        """A classified goal: added to the list (or in place of the goal being replaced), with its verdict."""
        goal = {"text": original, "plan": plan, "reasons": reasons}
        if clarification:
            goal["clarification"] = clarification
        self.pending = None
        if self.replace and 1 <= self.replace["number"] <= len(self.goals):
            number = self.replace["number"]
            self.goals[number - 1] = goal
            self.replies.response("utter_goal_replaced", number=number, old=self.replace["text"])
        else:
            self.goals.append(goal)
            number = len(self.goals)
        self.replace = None
        self._verdict(number, goal, plan_names)

    def set_pending_aside(self, classifier: Any, lang: str) -> None:
        """The clarifying question got no answer ("nie wiem", "that's all"): keep the goal aside,
        with the reasons of its own classification."""
        if self.pending:
            self.put_aside(self.pending, classifier, lang)
            self.pending = None
            if self.replace:
                self._drop(self.replace["number"])
                self.replace = None

    def put_aside(self, text: str, classifier: Any, lang: str) -> None:
        """Keep an unclear goal aside, with the reasons of its own classification, and say so."""
        reasons = [dict(r) for r in classifier.classify(text, lang).reasons]
        self.set_aside.append({"text": text, "reasons": reasons})
        self.replies.response("utter_goal_set_aside", goal=text)

    def remove(self, number: int) -> Dict[str, Any]:
        goal = self._drop(number)
        self.replace = None
        return goal

    def _drop(self, number: int) -> Dict[str, Any]:
        return self.goals.pop(number - 1)

    def resolve(self, number: Optional[int]) -> Optional[int]:
        """A goal number as the user gave it (-1 = the last one), checked against the list."""
        if number is None or not self.goals:
            return None
        if number < 0:
            return len(self.goals)
        return number if 1 <= number <= len(self.goals) else None

    def counts(self) -> Dict[str, int]:
        counts = {plan: sum(1 for g in self.goals if g["plan"] == plan) for plan in PLAN_VIEWS}
        return {**counts, "count": len(self.goals), "set_aside": len(self.set_aside)}

    def _verdict(self, number: int, goal: Mapping[str, Any], plan_names: Mapping[str, str]) -> None:
        reason = verdict_reason(goal["plan"], goal["reasons"])
        if goal["plan"] == "both":
            self.replies.response("utter_goal_verdict_both", number=number, goal=goal["text"], reason=reason)
        else:
            self.replies.response(
                "utter_goal_verdict", number=number, goal=goal["text"],
                plan_name=plan_names.get(goal["plan"], goal["plan"]), reason=reason,
            )

