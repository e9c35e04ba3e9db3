"""Never leave the user in silence when a custom action could not run.

When the action server is down (or answers with an error, or times out), Rasa 3.6's
`MessageProcessor._run_action` logs the exception, drops the action's events and carries on:
the tracker gets `ActionExecuted(<the action>)` with nothing after it, the rules then predict
`action_listen`, and the user gets an empty reply. Rasa has no setting for this and no hook in
the processor or in `RemoteAction`.

The smallest extension point that sees it is a policy. In this assistant every custom action
and form either says something or sets something when it runs, so a custom action or form
followed by no event at all is one that failed. In that state this policy predicts the
apology response (`utter_temporarily_unavailable`, chosen by the `language` slot, which
`LanguageSlotPolicy` has set before the action ran), and after its own apology it predicts
`action_listen`, so a form that is active is not re-run against a server that is still down;
the form stays active, and the next message continues it once the server is back.

Its predictions do not depend on the user's message (`is_no_user_prediction`), so they win over
the rules' predictions, including a form's happy path; its priority (7) is above RulePolicy's
(6), and in every other state it predicts nothing. It needs no training.

It acts only on turns of a message that came in through an input channel (REST, intranet,
`rasa shell`): `rasa test` replays test stories, whose user turns have no channel and whose
custom actions are listed without the events they returned, which would look exactly like a
failure.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, DEFAULT_ACTION_NAMES
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.constants import UTTER_PREFIX

from bot import action_calls, graph_runner, rule_matching


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionFailurePolicy(Policy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # This policy watches the action calls; it also makes them cheaper (bot/action_calls.py).
        action_calls.install()
        # Being in every prediction graph of this assistant, it also has the graph run without
        # dask from the first parse on (bot/graph_runner.py): nodes are built before any run.
        graph_runner.install()
        # ... and RulePolicy's rule search with the rules prepared once (bot/rule_matching.py).
        rule_matching.install()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "priority": 7,
            "response": "utter_temporarily_unavailable",
            # custom actions that may legitimately run without any event (none in this assistant)
            "silent_actions": [],
        }

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
        response = self.config["response"]
        if not self._live(tracker):
            return self._prediction(self._default_predictions(domain))
        if self._failed_action(tracker) and response in domain.action_names_or_texts:
            return self._certain(domain, response)
        if self._after_own_apology(tracker, response):
            return self._certain(domain, ACTION_LISTEN_NAME)
        return self._prediction(self._default_predictions(domain))

    @staticmethod
    def _live(tracker: DialogueStateTracker) -> bool:
        """Whether this turn's message came in through a channel (not a replayed test story)."""
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                return bool(event.input_channel)
        return False

    def _failed_action(self, tracker: DialogueStateTracker) -> Optional[Text]:
        """The custom action or form that just ran without producing any event, if any."""
        last = tracker.events[-1] if tracker.events else None
        if not isinstance(last, ActionExecuted) or not last.action_name:
            return None
        name = last.action_name
        if (
            name in DEFAULT_ACTION_NAMES
            or name.startswith(UTTER_PREFIX)
            or name in self.config["silent_actions"]
        ):
            return None
        return name

    def _after_own_apology(self, tracker: DialogueStateTracker, response: Text) -> bool:
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted):
                return event.action_name == response and event.policy == self.__class__.__name__
        return False

    def _certain(self, domain: Domain, action: Text) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
