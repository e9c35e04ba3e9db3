"""bot.policies.action_failure.ActionFailurePolicy on hand-built trackers (no servers).

The end-to-end check (the action server really stopped) is in test_faults.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.action_failure import ActionFailurePolicy
from tests.support import PROJECT_DIR

APOLOGY = "utter_temporarily_unavailable"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "bot" / "domain"))


def make_policy(tmp_path: Path) -> ActionFailurePolicy:
    config = {**ActionFailurePolicy.get_default_config()}
    return ActionFailurePolicy.create(config, LocalModelStorage(tmp_path), Resource("guard"),
                                      ExecutionContext(GraphSchema({}), "test"))


def tracker(domain: Domain, *events: Event, channel: str = "rest") -> DialogueStateTracker:
    start = [ActionExecuted("action_listen"), UserUttered("jaki budżet?", {"name": "ask_budget"}, input_channel=channel)]
    return DialogueStateTracker.from_events("guard", start + list(events), domain.slots)


def predicted(policy: ActionFailurePolicy, domain: Domain, events: List[Event]) -> PolicyPrediction:
    return policy.predict_action_probabilities(tracker(domain, *events), domain)


def best(prediction: PolicyPrediction, domain: Domain):
    if prediction.max_confidence == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_a_custom_action_that_left_nothing_gets_the_apology(tmp_path, domain) -> None:
    policy = make_policy(tmp_path)
    prediction = predicted(policy, domain, [ActionExecuted("action_answer_question", policy="RulePolicy")])
    assert best(prediction, domain) == APOLOGY and prediction.max_confidence == 1.0
    assert prediction.is_no_user_prediction and prediction.policy_priority > 6  # above RulePolicy


def test_a_form_that_left_nothing_gets_the_apology(tmp_path, domain) -> None:
    policy = make_policy(tmp_path)
    events = [ActionExecuted("plan_form"), ActiveLoop("plan_form"), SlotSet("requested_slot", "goal"),
              ActionExecuted("action_listen"),
              UserUttered("zwiększyć sprzedaż", {"name": "state_goal"}, input_channel="intranet"),
              ActionExecuted("plan_form", policy="RulePolicy")]
    assert best(predicted(policy, domain, events), domain) == APOLOGY


@pytest.mark.parametrize("events", [
    [ActionExecuted("action_answer_question"), BotUttered("Budżet ...")],
    [ActionExecuted("action_answer_question"), SlotSet("aspect", "budget")],
    [ActionExecuted("utter_greet"), BotUttered("Dzień dobry")],
    [ActionExecuted("action_session_start")],
    [ActionExecuted("action_extract_slots")],
    [],
], ids=["answered", "set-a-slot", "response", "session-start", "extract-slots", "right-after-the-message"])
def test_otherwise_it_predicts_nothing(tmp_path, domain, events) -> None:
    policy = make_policy(tmp_path)
    assert best(predicted(policy, domain, events), domain) is None


def test_after_its_own_apology_the_bot_listens(tmp_path, domain) -> None:
    policy = make_policy(tmp_path)
    events = [ActionExecuted("plan_form", policy="RulePolicy"),
              ActionExecuted(APOLOGY, policy="ActionFailurePolicy"), BotUttered("Przepraszam ...")]
    prediction = predicted(policy, domain, events)
    assert best(prediction, domain) == "action_listen" and prediction.is_no_user_prediction
    # the same response sent for another reason is not its business
    events[1] = ActionExecuted(APOLOGY, policy="RulePolicy")
    assert best(predicted(policy, domain, events), domain) is None


def test_a_replayed_test_story_is_not_a_failure(tmp_path, domain) -> None:
    """`rasa test` replays stories (no input channel) that list actions without their events."""
    policy = make_policy(tmp_path)
    story = tracker(domain, ActionExecuted("action_answer_question", policy="RulePolicy"), channel=None)
    assert best(policy.predict_action_probabilities(story, domain), domain) is None


def test_it_wins_over_the_rules_and_a_forms_happy_path(tmp_path, domain) -> None:
    policy = make_policy(tmp_path)
    events = [ActionExecuted("plan_form", policy="RulePolicy")]
    ours = predicted(policy, domain, events)
    rules_listen = [0.0] * domain.num_actions
    rules_listen[domain.index_for_action("action_listen")] = 1.0
    loop = [0.0] * domain.num_actions
    loop[domain.index_for_action("plan_form")] = 1.0
    for rules in (PolicyPrediction(rules_listen, "RulePolicy", 6),
                  PolicyPrediction(loop, "RulePolicy", 6, is_no_user_prediction=True),
                  PolicyPrediction(rules_listen, "RulePolicy", 6, is_end_to_end_prediction=True)):
        winner = DefaultPolicyPredictionEnsemble().combine_predictions([rules, ours], tracker(domain, *events), domain)
        assert winner.policy_name == "ActionFailurePolicy"
