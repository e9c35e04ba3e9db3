"""Keep the `language` slot on the language of the conversation.

The NLU pipeline (TermEntityExtractor) puts the language of each message into its parse data:
the language asked for ("in English please"), else the language the message is written in,
else the one the channel sent. This policy predicts no action (all zeros, lowest priority); it
only contributes a `SlotSet` event when that language differs from the slot. Rasa applies the
events of every policy before the next action runs, so the replies of the same turn are in the
new language. Keeping the language out of the entities keeps Rasa's entity evaluation (test
stories) about aspects and plans only, and costs no call to the action server.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

LANGUAGE_KEY = "language"
"""The parse-data key the NLU pipeline fills with the message's language."""


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
        slot = self.config["slot"]
        parse_data = tracker.latest_message.parse_data if tracker.latest_message else {}
        language = (parse_data or {}).get(LANGUAGE_KEY)
        events = [SlotSet(slot, language)] if language and tracker.get_slot(slot) != language else []
        return self._prediction(self._default_predictions(domain), events=events)
