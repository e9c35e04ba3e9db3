"""Keep the `language` slot on the language of the conversation (docs/architecture.md,
"A message's language").

This policy predicts no action (all zeros, lowest priority); at the first prediction after a
message it contributes a `SlotSet` event when the message's language (the parse data's, decided
by the NLU pipeline) differs from the slot, unless the message filled a slot of the active form:
an answer keeps the form in the conversation's language. Rasa applies the events of every policy
before the next action runs, so the replies of the same turn are in the new language.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from language import MESSAGE_LANGUAGE


def answers_the_form(tracker: DialogueStateTracker) -> bool:
    """Whether Rasa's slot extraction, which runs before the first prediction, filled a slot of
    the active form with the latest message (the slot mappings decide who owns a message)."""
    if not tracker.active_loop_name:
        return False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet):
            return True
    return False


def first_prediction_after_a_message(tracker: DialogueStateTracker) -> bool:
    """Whether no action has run since the latest user message. (A new conversation whose
    session start failed, with the action server down, has no action at all before it.)"""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return False
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class LanguageSlotPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 0, "slot": "language"}

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        slot, events = self.config["slot"], []
        if first_prediction_after_a_message(tracker) and not answers_the_form(tracker):
            language = (tracker.latest_message.parse_data or {}).get(MESSAGE_LANGUAGE)
            events = [SlotSet(slot, language)] if language and tracker.get_slot(slot) != language else []
        return self._prediction(self._default_predictions(domain), events=events)
