"""bot.policies.language.LanguageSlotPolicy: the `language` slot follows each message's language,
once, except for an answer to the active form (the plan keeps its language)."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.language import LanguageSlotPolicy
from tests.support import PROJECT_DIR

DOMAIN = Domain.load(str(PROJECT_DIR / "bot" / "domain"))
IN_PLAN = [ActiveLoop("plan_form"), SlotSet("language", "pl"), SlotSet("requested_slot", "goal")]


def slot_events(tmp_path, *events) -> list:
    policy = LanguageSlotPolicy.create(LanguageSlotPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                       Resource("language"), ExecutionContext(GraphSchema({}), "test"))
    tracker = DialogueStateTracker.from_events("u", list(events), DOMAIN.slots)
    return policy.predict_action_probabilities(tracker, DOMAIN).events


def message(text: str, language) -> list:
    return [ActionExecuted("action_listen"), UserUttered(text, {"name": "state_goal"}, parse_data={"language": language})]


@pytest.mark.parametrize("language, expected", [("en", [SlotSet("language", "en")]), ("pl", []), (None, [])])
def test_the_slot_follows_the_message(tmp_path, language, expected):
    assert slot_events(tmp_path, SlotSet("language", "pl"), *message("hello there", language)) == expected


def test_a_message_left_to_a_rule_moves_the_plan_and_an_answer_does_not(tmp_path):
    question = message("what tools does a sales plan use?", "en")
    assert slot_events(tmp_path, *IN_PLAN, *question) == [SlotSet("language", "en")]
    answer = message("increase sales by 10% next month", "en") + [SlotSet("goal", "increase sales")]
    assert slot_events(tmp_path, *IN_PLAN, *answer) == []


def test_the_slot_is_decided_once_per_message(tmp_path):
    """After the message's first action (a form that put the language back) nothing changes."""
    after = message("hello", "en") + [ActionExecuted("utter_greet"), SlotSet("language", "pl")]
    assert slot_events(tmp_path, *after) == []


def test_a_new_conversation_whose_session_start_failed_still_gets_its_language(tmp_path):
    """With the action server down, `action_session_start` leaves no event: the message is the
    first event of the conversation, and the apology must be in the message's language."""
    first = UserUttered("Who carries out the sales plan?", {"name": "ask_team"}, parse_data={"language": "en"})
    assert slot_events(tmp_path, first) == [SlotSet("language", "en")]
