"""RulePolicy's rule search with each rule's states prepared once, not on every check.

Before every prediction Rasa 3.6's `RulePolicy._find_action_from_rules` calls
`_get_possible_keys(lookup, states)` to find the rules whose states match the end of the
conversation: for each conversation state, newest first, every rule still possible is checked
with `_is_rule_applicable`, which takes the rule's states from its JSON key (a cached
`json.loads`), copies them in reverse, and compares the state with `_does_rule_match_state`
(turning each list value of the rule into a tuple on every comparison). A profile of the Rasa
server under 50 conversations put `_get_possible_keys` at about 11 % of its CPU (bench/README.md,
"Profiling"); most of it was that preparation, repeated for each of the 182 rules (154 rules,
28 loop unhappy paths) at each state.

`get_possible_keys` below returns the same set of keys for the same `lookup` and `states`:
- each rule key's states are prepared once per set of keys (a lookup changed in place is
  prepared again): newest first, each with whether it has a previous action and the checks
  `_does_rule_match_state` makes, in its order: a value that must equal the conversation's (a
  list made a tuple, as Rasa does), or one that must not be set (`SHOULD_NOT_BE_SET`); falsy
  values check nothing, as in Rasa;
- the newest conversation state is checked only against the rules it can match: those whose
  newest state names the same previous action (a rule naming another action fails its check),
  or, for a conversation start, the rules whose newest state is a start (a start against a
  non-start fails in Rasa); rules with a previous action not given by name are always checked;
- then, as in `_get_possible_keys`, state `i` (newest first) keeps the rules for which
  `_is_rule_applicable` holds: a rule shorter than `i + 1` states, two conversation starts, or
  both with a previous action and every check passing; a start against a non-start fails;
- a state beyond the longest rule keeps every rule still possible (Rasa's first condition), so
  the search stops there; with no states at all every key is possible, as in Rasa.

On the calls recorded from 240 bench messages (620 searches) both searches gave the same keys,
and a search took 0.28 ms of CPU with Rasa's and 0.026 ms with this one (best of 7).

Rasa has no setting for this, so `install()` replaces `RulePolicy._get_possible_keys` once per
process, when the model's policies are built (bot/policies/action_failure.py, as
bot/graph_runner.py and bot/action_calls.py do). A subclass of RulePolicy that overrides one of
the methods this reproduces gets Rasa's own search. Nothing in Rasa's installed files is changed.
tests/unit/test_rule_matching.py pins the Rasa version and the sources this reproduces, and
compares both searches on rules and states, so an upgrade of Rasa fails until this is re-checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.nlu.constants import ACTION_NAME

_INSTALLED = "_advisor_rule_matching_installed"

ORIGINAL_GET_POSSIBLE_KEYS = RulePolicy._get_possible_keys
"""Rasa's own `RulePolicy._get_possible_keys`, before `install()` (for the tests and for reference)."""

_REPRODUCED = ("_is_rule_applicable", "_does_rule_match_state", "_rule_key_to_state")

Check = Tuple[Text, Text, Any, bool]
"""(state type, key, the rule's value, whether that value means "must not be set")."""
PreparedState = Tuple[bool, Tuple[Check, ...]]
"""Whether the rule's state has a previous action, and its checks."""
PreparedRule = Tuple[Text, Tuple[PreparedState, ...]]
"""A rule key and its states, newest first."""


@dataclass(frozen=True)
class _PreparedLookup:
    """A lookup's rules, prepared, sorted by what the newest conversation state can match.

    A rule whose newest state checks a previous action's name matches only a state with that
    name (`by_action`); one whose newest state has no previous action only a conversation start
    (`starts`); `other` holds rules with a previous action that is not checked by name (an
    action's text) and rules without states. Every rule is in exactly one of them.
    """

    by_action: Dict[Text, List[PreparedRule]]
    starts: List[PreparedRule]
    other: List[PreparedRule]
    longest: int


_PREPARED: Dict[Tuple[Text, ...], _PreparedLookup] = {}
"""The prepared rules of each set of rule keys."""
_PREPARED_MAX = 64


def _prepared_rules(rule_keys: Tuple[Text, ...]) -> _PreparedLookup:
    """The prepared rules of a lookup's keys.

    Keyed by the keys themselves: a lookup changed in place (as during training) is prepared again.
    """
    found = _PREPARED.get(rule_keys)
    if found is None:
        if len(_PREPARED) >= _PREPARED_MAX:  # models trained or loaded one after another
            _PREPARED.clear()
        by_action: Dict[Text, List[PreparedRule]] = {}
        starts: List[PreparedRule] = []
        other: List[PreparedRule] = []
        longest = 0
        for key in rule_keys:
            rule = _prepare(key)
            rule_states = rule[1]
            longest = max(longest, len(rule_states))
            if not rule_states:
                other.append(rule)
                continue
            has_previous_action, checks = rule_states[0]
            names = [value for state_type, name, value, must_not_be_set in checks
                     if state_type == PREVIOUS_ACTION and name == ACTION_NAME and not must_not_be_set]
            if not has_previous_action:
                starts.append(rule)
            elif names and isinstance(names[0], str):
                by_action.setdefault(names[0], []).append(rule)
            else:
                other.append(rule)
        found = _PREPARED[rule_keys] = _PreparedLookup(by_action, starts, other, longest)
    return found


def _prepare(rule_key: Text) -> PreparedRule:
    """A rule key and its states, newest first, ready to be compared (see the module's docstring)."""
    states: List[PreparedState] = []
    for rule_state in reversed(RulePolicy._rule_key_to_state(rule_key)):
        checks: List[Check] = []
        for state_type, rule_sub_state in rule_state.items():
            for key, value in rule_sub_state.items():
                if isinstance(value, list):
                    value = tuple(value)  # json dumps and loads tuples as lists
                if value == SHOULD_NOT_BE_SET:
                    checks.append((state_type, key, value, True))
                elif value:
                    checks.append((state_type, key, value, False))
        states.append((bool(rule_state.get(PREVIOUS_ACTION)), tuple(checks)))
    return rule_key, tuple(states)


def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Set[Text]:
    """`RulePolicy._get_possible_keys`, with the rules' states prepared once."""
    cls = type(self)
    if cls is not RulePolicy and any(getattr(cls, name) is not getattr(RulePolicy, name) for name in _REPRODUCED):
        return ORIGINAL_GET_POSSIBLE_KEYS(self, lookup, states)  # a subclass changed the matching
    if not states:
        return set(lookup)
    prepared = _prepared_rules(tuple(lookup))
    # The newest state can only match the rules of its previous action's name (or starts).
    newest_previous_action = states[-1].get(PREVIOUS_ACTION)
    if newest_previous_action:
        name = newest_previous_action.get(ACTION_NAME)
        possible = prepared.by_action.get(name, []) + prepared.other if isinstance(name, str) else \
            [rule for rules in prepared.by_action.values() for rule in rules] + prepared.other
    else:
        possible = prepared.starts + prepared.other
    # at a state beyond the longest rule every rule left is applicable: the search ends there
    for turn_index, conversation_state in zip(range(prepared.longest), reversed(states)):
        current_previous_action = bool(conversation_state.get(PREVIOUS_ACTION))
        kept = []
        for rule in possible:
            rule_states = rule[1]
            if turn_index >= len(rule_states):
                kept.append(rule)
                continue
            rule_previous_action, checks = rule_states[turn_index]
            if not rule_previous_action or not current_previous_action:
                if not rule_previous_action and not current_previous_action:
                    kept.append(rule)  # two conversation starts
                continue
            # `_does_rule_match_state`
            for state_type, key, value, must_not_be_set in checks:
                value_from_conversation = conversation_state.get(state_type, {}).get(key)
                if must_not_be_set:
                    if value_from_conversation and value_from_conversation != SHOULD_NOT_BE_SET:
                        break
                elif value_from_conversation != value:
                    break
            else:
                kept.append(rule)
        possible = kept
    return {key for key, _ in possible}


def install() -> None:
    """Replace `RulePolicy._get_possible_keys` (once per process) with `get_possible_keys`."""
    if getattr(RulePolicy, _INSTALLED, False):
        return
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    setattr(RulePolicy, _INSTALLED, True)


def originals() -> Dict[Text, Optional[Any]]:
    """The Rasa functions this module reproduces (for the pin test)."""
    return {
        "RulePolicy._get_possible_keys": ORIGINAL_GET_POSSIBLE_KEYS,
        **{f"RulePolicy.{name}": getattr(RulePolicy, name) for name in _REPRODUCED},
    }
