"""bot/rule_matching.py: RulePolicy's rule search with the rules prepared once finds the same rules.

Pins the Rasa version and the sources `get_possible_keys` reproduces: an upgrade of Rasa must
fail here until it is checked against the new `RulePolicy`. Rasa's search and this one are run
on the same rules and conversation states and must return the same keys
(tests/integration/test_rule_matching_model.py does the same with the trained model).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any, Dict, List

import pytest
import rasa
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from bot import rule_matching

# sha256 of the Rasa 3.6.21 sources `get_possible_keys` reproduces
PINNED = {
    "RulePolicy._get_possible_keys": "2915fd81711e194c",
    "RulePolicy._is_rule_applicable": "64a108b016b46e57",
    "RulePolicy._does_rule_match_state": "d3109c1a97de319c",
    "RulePolicy._rule_key_to_state": "b91b949bbccbff0b",
}


def _source_digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(inspect.unwrap(function)).encode()).hexdigest()[:16]


def test_rasa_is_the_version_the_search_was_written_for() -> None:
    assert rasa.__version__ == "3.6.21"
    assert {name: _source_digest(f) for name, f in rule_matching.originals().items()} == PINNED


def _policy(cls: type = RulePolicy) -> RulePolicy:
    return cls.__new__(cls)  # the search reads nothing of the policy's own state


def _key(states: List[Dict[str, Any]]) -> str:
    return json.dumps(states, sort_keys=True)  # as RulePolicy._create_feature_key


def _both(policy: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> List[set]:
    return [search(policy, lookup, states)
            for search in (rule_matching.ORIGINAL_GET_POSSIBLE_KEYS, rule_matching.get_possible_keys)]


LISTEN = {"prev_action": {"action_name": "action_listen"}}
RULES = {
    # a greeting at the start of a conversation (a start state has no previous action)
    _key([{}, {**LISTEN, "user": {"intent": "greet"}}]): "utter_greet",
    _key([{**LISTEN, "user": {"intent": "greet"}}]): "utter_greet_again",
    _key([{**LISTEN, "user": {"intent": "ask", "entities": ["plan"]}}]): "action_answer",
    _key([{**LISTEN, "user": {"intent": "ask"}, "slots": {"plan": SHOULD_NOT_BE_SET}}]): "utter_which_plan",
    _key([{**LISTEN, "user": {"intent": "ask"}, "active_loop": {"name": "plan_form"}}]): "plan_form",
    _key([{**LISTEN, "user": {"intent": "ask"}},
          {"prev_action": {"action_name": "action_answer"}, "user": {"intent": "ask"}}]): "action_listen",
    _key([{"prev_action": {"action_name": "plan_form"}, "active_loop": {"name": SHOULD_NOT_BE_SET},
           "slots": {"done": [1.0]}}]): "utter_plan_done",
    _key([{"prev_action": {"action_name": "plan_form"}, "slots": {"done": [0.0], "empty": []}}]): "action_listen",
    _key([{"prev_action": {"action_text": "Hi!"}, "user": {"intent": "greet"}}]): "utter_after_text",
}


@pytest.mark.parametrize("states, expected", [
    ([{}, {**LISTEN, "user": {"intent": "greet"}}], {"utter_greet", "utter_greet_again"}),
    ([{**LISTEN, "user": {"intent": "greet"}}], {"utter_greet", "utter_greet_again"}),  # no older state to refuse
    ([{"prev_action": {"action_name": "utter_greet"}}, {**LISTEN, "user": {"intent": "greet"}}], {"utter_greet_again"}),
    ([{**LISTEN, "user": {"intent": "ask", "entities": ("plan",)}}], {"action_answer", "utter_which_plan"}),
    ([{**LISTEN, "user": {"intent": "ask"}, "slots": {"plan": ("sales",)}}], set()),
    ([{**LISTEN, "user": {"intent": "ask"}, "slots": {"plan": SHOULD_NOT_BE_SET}}], {"utter_which_plan"}),
    ([{**LISTEN, "user": {"intent": "ask"}, "active_loop": {"name": "plan_form"}}], {"utter_which_plan", "plan_form"}),
    ([{**LISTEN, "user": {"intent": "ask"}}, {"prev_action": {"action_name": "action_answer"}, "user": {"intent": "ask"}}],
     {"action_listen"}),
    ([{"prev_action": {"action_name": "plan_form"}, "slots": {"done": (1.0,)}}], {"utter_plan_done"}),
    ([{"prev_action": {"action_name": "plan_form"}, "slots": {"done": (1.0,)}, "active_loop": {"name": "plan_form"}}], set()),
    ([{"prev_action": {"action_name": "plan_form"}, "slots": {"done": [1.0]}}], set()),  # a list is not the rule's tuple
    ([{"prev_action": {"action_text": "Hi!"}, "user": {"intent": "greet"}}], {"utter_after_text"}),
    ([{"prev_action": {"action_text": "Hi!"}, "user": {"intent": "ask"}}], set()),
    ([{"prev_action": {}, "user": {"intent": "greet"}}], set()),  # an empty previous action is a start
    ([], set(RULES.values())),
])
def test_the_same_rules_are_found(states: List[Dict[str, Any]], expected: set) -> None:
    rasa_keys, prepared_keys = _both(_policy(), RULES, states)
    assert prepared_keys == rasa_keys
    assert {RULES[key] for key in prepared_keys} == expected


INTENTS = st.sampled_from(["greet", "ask", "deny", ""])
ACTIONS = st.sampled_from(["action_listen", "action_answer", "plan_form", "utter_greet"])
VALUES = st.one_of(st.sampled_from([SHOULD_NOT_BE_SET, "", 0.0, 1.0, "sales"]),
                   st.lists(st.sampled_from([0.0, 1.0, "plan"]), max_size=2))


def _sub_state(draw_keys: Any, values: Any) -> Any:
    return st.dictionaries(draw_keys, values, max_size=2)


STATE = st.fixed_dictionaries({}, optional={
    # by name (the index), by text (end-to-end rules), or empty (no previous action either)
    "prev_action": st.one_of(st.fixed_dictionaries({"action_name": ACTIONS}),
                             st.fixed_dictionaries({"action_text": st.sampled_from(["hi", "bye"])}), st.just({})),
    "user": st.fixed_dictionaries({"intent": INTENTS}, optional={"entities": st.lists(st.sampled_from(["plan", "aspect"]), max_size=2)}),
    "slots": _sub_state(st.sampled_from(["plan", "done", "language"]), VALUES),
    "active_loop": st.fixed_dictionaries({"name": st.sampled_from(["plan_form", SHOULD_NOT_BE_SET, ""])}),
})


def _as_conversation_state(state: Dict[str, Any]) -> Dict[str, Any]:
    """A rule state as a tracker gives it: lists are tuples (Rasa's states hold tuples)."""
    return {kind: {k: tuple(v) if isinstance(v, list) else v for k, v in sub.items()} for kind, sub in state.items()}


@settings(max_examples=300, deadline=None)
@given(rules=st.lists(st.lists(STATE, min_size=1, max_size=4), min_size=1, max_size=12),
       states=st.lists(STATE, max_size=7), from_rules=st.booleans(), tuples=st.booleans())
def test_the_same_keys_on_any_rules_and_states(rules: List[List[Dict[str, Any]]], states: List[Dict[str, Any]],
                                               from_rules: bool, tuples: bool) -> None:
    lookup = {_key(rule): f"action_{i}" for i, rule in enumerate(rules)}
    if from_rules:  # the end of the conversation is one of the rules (so something matches)
        states = states + rules[0]
    if tuples:
        states = [_as_conversation_state(state) for state in states]
    rasa_keys, prepared_keys = _both(_policy(), lookup, states)
    assert prepared_keys == rasa_keys


def test_a_lookup_changed_in_place_is_prepared_again() -> None:
    lookup = dict(RULES)
    states = [{**LISTEN, "user": {"intent": "deny"}}]
    assert rule_matching.get_possible_keys(_policy(), lookup, states) == set()
    lookup[_key([{**LISTEN, "user": {"intent": "deny"}}])] = "utter_ok"
    assert _both(_policy(), lookup, states) == [{_key(states)}] * 2


class CustomMatching(RulePolicy):
    @staticmethod
    def _does_rule_match_state(rule_state: Any, conversation_state: Any) -> bool:
        return True


def test_a_subclass_with_its_own_matching_gets_rasas_search() -> None:
    states = [{**LISTEN, "user": {"intent": "nothing_matches"}}]
    rasa_keys, prepared_keys = _both(_policy(CustomMatching), RULES, states)
    assert prepared_keys == rasa_keys and len(prepared_keys) > 1


def test_install_is_idempotent_and_replaces_the_search() -> None:
    rule_matching.install()
    rule_matching.install()
    assert RulePolicy._get_possible_keys is rule_matching.get_possible_keys
    assert rule_matching.ORIGINAL_GET_POSSIBLE_KEYS is not rule_matching.get_possible_keys
