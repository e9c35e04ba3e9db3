"""The trained model's RulePolicy finds the same rules through bot/rule_matching.py's search as
through Rasa's own, at every prediction of conversations in both languages, plan building
included (tests/unit/test_rule_matching.py compares them on small rule sets)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.utils.endpoints import EndpointConfig

from bot import rule_matching
from tests.support import MODEL, Assistant

pytestmark = pytest.mark.servers

CONVERSATIONS = [
    ["Czym się różni plan sprzedaży od planu marketingowego?", "a budżet?", "dziękuję"],
    ["What tools does a marketing plan use?", "and who carries it out?", "What's the weather like tomorrow?"],
    ["pomóż mi ułożyć plan", "sprzedajemy meble biurowe dla firm", "zwiększyć sprzedaż o 15% w tym kwartale",
     "jaki budżet ma plan marketingowy?", "to wszystko", "3 lata", "50 tys. zł", "pokaż mój plan"],
    ["help me build a plan", "stop", "hello", "that's all"],
]


@pytest.fixture(scope="module")
def agent(assistant: Assistant) -> Agent:
    """The model in this process (in-memory tracker store), calling the running assistant's action server."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    return Agent.load(str(MODEL), action_endpoint=EndpointConfig(assistant.env["ACTION_ENDPOINT_URL"]))


def test_the_model_uses_the_prepared_search_once_loaded(agent: Agent) -> None:
    assert RulePolicy._get_possible_keys is rule_matching.get_possible_keys  # installed by ActionFailurePolicy


def test_the_same_rules_at_every_prediction(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    searches: List[Tuple[int, int]] = []

    def both(self: RulePolicy, lookup: Dict[str, str], states: List[Dict[str, Any]]) -> Any:
        rasa_keys = rule_matching.ORIGINAL_GET_POSSIBLE_KEYS(self, lookup, states)
        prepared_keys = rule_matching.get_possible_keys(self, lookup, states)
        assert prepared_keys == rasa_keys, states
        searches.append((len(states), len(prepared_keys)))
        return prepared_keys

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", both)

    async def converse() -> None:
        for number, texts in enumerate(CONVERSATIONS):
            for text in texts:
                await agent.handle_text(text, sender_id=f"rule-matching-{number}")

    asyncio.run(converse())
    assert len(searches) >= 2 * sum(len(texts) for texts in CONVERSATIONS)
    assert sum(1 for _, found in searches if found) >= 20  # rules were found, not only refused
    assert max(length for length, _ in searches) > 10
