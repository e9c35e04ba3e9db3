"""action_feedback: thanks for a well-formed vote, a plain reply for a malformed one; nothing set."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback, vote_problem


def vote(entities: Dict[str, Any]) -> Tracker:
    latest = {
        "text": "/feedback",
        "intent": {"name": "feedback", "confidence": 1.0},
        "entities": [{"entity": name, "value": value} for name, value in entities.items()],
    }
    return Tracker("alice", {"language": "en"}, latest, [{"event": "user", "parse_data": latest}], False, None, {}, "action_listen")


async def responses(entities: Dict[str, Any]) -> List[str]:
    dispatcher = CollectingDispatcher()
    assert await ActionFeedback().run(dispatcher, vote(entities), {}) == []  # no slot, no form
    return [message["response"] for message in dispatcher.messages]


@pytest.mark.parametrize("entities", [
    {"source": "budget/marketing", "value": "up"},
    {"source": "faq/difference_sales_marketing", "value": "down", "comment": "czego zabrakło: przykładu"},
    {"source": "overview/both", "value": "down", "comment": ""},
])
async def test_a_vote_is_thanked_for(entities):
    assert await responses(entities) == ["utter_feedback_thanks"]


@pytest.mark.parametrize("entities", [
    {"source": "budget/marketing"},
    {"source": "budget/marketing", "value": "meh"},
    {"source": "budget/marketing", "value": 1},
    {"value": "up"},
    {"source": "", "value": "up"},
    {"source": "<script>", "value": "up"},
    {"source": "budget/marketing", "value": "down", "comment": "x" * 1001},
    {"source": "budget/marketing", "value": "down", "comment": {"nested": True}},
])
async def test_a_malformed_vote_is_said_to_be_unreadable(entities):
    assert await responses(entities) == ["utter_feedback_invalid"]
    assert vote_problem(entities.get("source"), entities.get("value"), entities.get("comment"))
