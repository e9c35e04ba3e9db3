"""Who owns a message while the plan form asks a question: the form (it is the answer) or a rule.

The slot mappings of bot/domain/plan_building.yml decide first, once per message, in Rasa's
`action_extract_slots`: a statement (`state_goal`), "not sure" or a message NLU cannot place
(`nlu_fallback`, below the FallbackClassifier's threshold) is the answer (`from_text`). Every
other reading comes here (a custom slot mapping, `not_intent` of those): NLU files some answers
under a question, chit-chat or a command, and the cut-offs below, measured on held-out text,
tell them from the real thing. What this action does not take is left unfilled, so Rasa rejects
the form and a rule of data/rules/plan_building.yml handles the message (an intent nothing here
knows, too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, plan_state as ps
from actions.answer_question import FOLLOW_UP_INTENT
from actions.conversation import ASPECT_INTENT_PREFIX, FAQ_INTENT_PREFIX
from actions.knowledge_base import get_input_reader
from actions.plan_form import names_time
from knowledge import ASPECTS, FAQS

COMMAND_INTENTS = (
    "cancel", "start_plan", "show_plan", "export_plan", "remove_goal", "replace_goal", "switch_language", "help",
    "ask_human",
)
SOCIAL_INTENTS = ("greet", "thank", "goodbye", "affirm", "deny")
QUESTION_INTENTS = (
    *(ASPECT_INTENT_PREFIX + aspect for aspect in ASPECTS),
    *(FAQ_INTENT_PREFIX + faq for faq in FAQS),
    FOLLOW_UP_INTENT,
)
OUT_OF_SCOPE_INTENT = "out_of_scope"
GOALS_DONE_INTENT = "goals_done"


@dataclass(frozen=True)
class Cutoffs:
    """NLU confidences that separate an answer from a message for a rule.

    Measured on 2026-12-01 with the model trained from this tree (`make train`), by parsing
    bench/data/goals.yml (80 held-out goal statements: the form's answers),
    bench/data/questions.yml (282 held-out questions: 222 about the plans, 60 to decline) and
    the commands, answers and chit-chat of the plan tests, stories and README (67 phrases). Re-measure
    when the NLU data or pipeline changes.
    """

    command: float = 0.4
    """Commands scored 0.44 ("help") to 0.99; answers NLU filed under a command scored
    0.36-0.37 ("this quarter" as cancel, "$20,000" as replace_goal). Two held-out goals read as
    start_plan score 0.48 and 0.65: no cut-off keeps them without losing "help" and "stop" (0.68)."""
    command_over_answer: float = 0.8
    """When the text has what the question asks for (an amount, a period), a command must be this
    sure: commands naming a goal number scored 0.81 ("edit goal 1") to 0.99."""
    social: float = 0.55
    """Greetings, thanks, yes and no of at most `social_max_words` words scored 0.58 ("no") to 0.82;
    no held-out goal was read as chit-chat."""
    social_max_words: int = 4
    """"thanks for the help with our long term brand" (thank 0.87) is a goal."""
    question: float = 0.6
    """A question intent on a text without "?": 89 of 97 held-out questions written without "?"
    score at least 0.6 (49 of 97 at 0.9); the two held-out goals read as a question scored 0.37
    and 0.58. With "?" any question intent is a question (no held-out goal has one).
    Re-measured after stop 19's real training data (a parse of the same sets):
    78 of 98 such questions at 0.6 or more (79 before), and 3 of the 80 held-out goals read as a
    question at 0.71-1.0 (3 before, 0.72-0.99): the cut-off stands. The answer to the clarifying
    question is taken by its period instead (`looks_like_answer`)."""
    goals_done: float = 0.7
    """"to wszystko" 0.81, "that's all" 0.86; "dużo" as a budget read as goals_done 0.50; no held-out
    goal was read as goals_done."""
    # out_of_scope has no cut-off: 19 of the 80 held-out goals (0.37-0.94) and every company
    # description (0.55-0.83) read as out_of_scope, as do the off-topic questions (0.46-0.98);
    # only "?" tells them apart, so an off-topic reading is declined only for a question.


CUTOFFS = Cutoffs()


def is_answer(intent: Optional[str], confidence: float, text: str, looks_like_answer: bool,
              cutoffs: Cutoffs = CUTOFFS) -> bool:
    """Whether a message NLU read as `intent` answers the form's question.

    `looks_like_answer`: the text has what the question asks for (an amount for the budget, a
    period for the horizon), so only a sure command takes it away from the form.
    """
    if intent == conversation.FEEDBACK_INTENT:
        # never an answer, even when the vote's comment names an amount or a period;
        # data/rules/feedback.yml thanks for it and the form asks again
        return False
    if intent in COMMAND_INTENTS:
        return confidence < (cutoffs.command_over_answer if looks_like_answer else cutoffs.command)
    if looks_like_answer:
        return True
    if intent in SOCIAL_INTENTS:  # "tak", "thanks" – not "-5" or "🍕" that NLU files under "affirm"
        social = (confidence >= cutoffs.social and len(text.split()) <= cutoffs.social_max_words
                  and any(ch.isalpha() for ch in text) and not any(ch.isdigit() for ch in text))
        return not social
    if intent in QUESTION_INTENTS:
        return "?" not in text and confidence < cutoffs.question
    if intent == OUT_OF_SCOPE_INTENT:
        return "?" not in text
    if intent == GOALS_DONE_INTENT:  # at the goal question it fills `goals_done` instead
        return confidence < cutoffs.goals_done
    return False


def looks_like_answer(slot: str, text: str, lang: str, clarifying: bool = False) -> bool:
    """`clarifying`: an unclear goal waits for the answer to its clarifying question, which asks
    for a time scale ("results in the coming months, or how the market sees you over the
    years?", utter_clarify_goal): an answer naming a period is the answer, even when NLU reads
    "wyniki w najbliższych miesiącach" (the button's own payload) as a question about results."""
    if slot == ps.HORIZON:
        return names_time(text, lang)
    if slot == ps.GOAL and clarifying:
        # a bare number here is more likely a goal's number ("replace goal 1 with ...") than a time
        return names_time(text, lang, numbers=False)
    if slot == ps.BUDGET:
        return get_input_reader().budget(text, lang).status == "amount"
    return False


class ActionReadPlanAnswer(Action):
    """The custom slot mapping of the form's slots for readings other than a plain answer."""

    def name(self) -> Text:
        return "action_read_plan_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        slot = tracker.get_slot(ps.REQUESTED_SLOT)
        if slot not in (ps.BUSINESS, ps.GOAL, ps.HORIZON, ps.BUDGET):
            return []
        intent = tracker.latest_message.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        text = conversation.message_text(tracker)
        if slot == ps.GOAL and name == GOALS_DONE_INTENT and confidence >= CUTOFFS.goals_done:
            return [SlotSet(ps.GOALS_DONE, True)]
        clarifying = bool(tracker.get_slot(ps.PENDING))
        if is_answer(name, confidence, text, looks_like_answer(slot, text, conversation.language(tracker), clarifying)):
            return [SlotSet(slot, text)]
        return []
