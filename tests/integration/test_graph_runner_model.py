"""The trained model gives the same parses and predictions through bot/graph_runner.py's in-order
run as through Rasa's dask run (tests/unit/test_graph_runner.py compares them on small graphs)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import UserUttered
from rasa.core.channels.channel import UserMessage

from bot import graph_runner
from tests.support import MODEL

CONVERSATION = [
    "Czym się różni plan sprzedaży od planu marketingowego?",
    "a budżet?",
    "What tools does a marketing plan use?",
    "and who carries it out?",
    "What's the weather like tomorrow?",
    "Chcę zbudować plan",
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    return Agent.load(str(MODEL))  # in-memory tracker store


def _parse(runner: DaskGraphRunner, run: Any, target: str, text: str, tracker: Any) -> Dict[str, Any]:
    user_message = UserMessage(text, sender_id=tracker.sender_id, message_id="graph-runner-test")
    results = run(runner, inputs={PLACEHOLDER_MESSAGE: [user_message], PLACEHOLDER_TRACKER: tracker},
                  targets=[target])
    [message] = results[target]
    return message.as_dict(only_output_properties=False)


def _predict(runner: DaskGraphRunner, run: Any, target: str, tracker: Any) -> Dict[str, Any]:
    prediction = run(runner, inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])[target]
    def timeless(events: Any) -> List[Dict[str, Any]]:  # each event is stamped when it is made
        return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in events]

    return {"probabilities": prediction.probabilities, "policy": prediction.policy_name,
            "events": timeless(prediction.events), "optional": timeless(prediction.optional_events)}


def test_the_model_is_run_in_order_once_loaded(agent: Agent) -> None:
    assert DaskGraphRunner.run is graph_runner.run  # installed by the model's ActionFailurePolicy


def test_parses_and_predictions_are_the_same_in_a_conversation(agent: Agent) -> None:
    processor = agent.processor
    runner, metadata = processor.graph_runner, processor.model_metadata
    sender = "graph-runner-comparison"
    checked: List[str] = []

    async def converse() -> None:
        for text in CONVERSATION:
            tracker = await processor.get_tracker(sender)
            parses = [_parse(runner, run, metadata.nlu_target, text, tracker)
                      for run in (graph_runner.ORIGINAL_RUN, graph_runner.run)]
            assert parses[0] == parses[1], text
            tracker.update(UserUttered(text, parses[1]["intent"], parses[1].get("entities", []),
                                       parse_data=parses[1]))
            predictions = [_predict(runner, run, metadata.core_target, tracker)
                           for run in (graph_runner.ORIGINAL_RUN, graph_runner.run)]
            assert predictions[0] == predictions[1], text
            await agent.handle_text(text, sender_id=sender)  # the conversation moves on, as a user's would
            checked.append(text)

    asyncio.run(converse())
    assert checked == CONVERSATION
