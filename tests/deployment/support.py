"""Helpers for the deployment tests: reading REST replies, fresh senders, a conversation's stored
events, and the burst of questions sent at the same moment that two Rasa servers
(test_two_servers.py) or two Sanic workers (test_embedded_workers.py) must handle one at a time.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.channels.rest import conversation_id as rest_conversation_id
from tests.support import Assistant, tracker_store_for

# Self-contained questions (each names its aspect and plan) and the entry each must be answered from.
QUESTIONS: List[Tuple[str, str]] = [
    ("Co to jest plan sprzedaży?", "definition/sales"),
    ("Czym właściwie jest plan marketingowy?", "definition/marketing"),
    ("Jakie cele ma plan sprzedaży?", "goals/sales"),
    ("Jakie cele stawia się w planie marketingowym?", "goals/marketing"),
    ("Jaki zakres obejmuje plan marketingowy?", "scope/marketing"),
    ("Jakie narzędzia wykorzystuje się w planie sprzedaży?", "tools/sales"),
    ("Kto odpowiada za plan marketingowy?", "team/marketing"),
    ("Kto realizuje plan sprzedaży?", "team/sales"),
    ("Jaki budżet ma plan sprzedaży?", "budget/sales"),
    ("Jaki budżet ma plan marketingowy?", "budget/marketing"),
    ("What is a sales plan?", "definition/sales"),
    ("What is a marketing plan?", "definition/marketing"),
    ("What are the goals of a sales plan?", "goals/sales"),
    ("What are the goals of a marketing plan?", "goals/marketing"),
    ("What tools does a marketing plan use?", "tools/marketing"),
    ("Who carries out the sales plan?", "team/sales"),
    ("Who carries out the marketing plan?", "team/marketing"),
    ("What budget does a sales plan need?", "budget/sales"),
    ("What budget does a marketing plan need?", "budget/marketing"),
    ("Does a marketing plan include sales?", "faq/marketing_plan_includes_sales"),
]


def source_id(messages: List[Dict[str, Any]]) -> Optional[str]:
    """The id of the knowledge-base entry the first cited answer among `messages` comes from."""
    for message in messages:
        custom = message.get("custom") or {}
        if "source" in custom:
            return custom["source"]["id"] if custom["source"] else None
    return None


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


def verdicts_of(messages: List[Dict[str, Any]]) -> List[str]:
    """The plans of the goal classifications among `messages`, in order."""
    return [m["custom"]["classification"]["plan"] for m in messages if "classification" in (m.get("custom") or {})]


def new_sender(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def tracker_events(env: Dict[str, str], conversation: str) -> List[Any]:
    """Every event of a conversation, read through the project's tracker store of `env`."""
    store = tracker_store_for(env)
    try:
        tracker = asyncio.run(store.retrieve_full_tracker(conversation))
    finally:
        store.engine.dispose()
    return list(tracker.events) if tracker is not None else []


T = TypeVar("T")


def at_once(count: int, send: Callable[[int], T]) -> List[T]:
    """send(0) ... send(count - 1), each in a thread of its own, all released at the same moment."""
    start = threading.Barrier(count)

    def released(index: int) -> T:
        start.wait(timeout=60)
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(released, range(count)))


def assert_a_burst_is_answered_once_in_order(servers: Sequence[Assistant]) -> None:
    """Every one of QUESTIONS sent in one conversation at the same moment, the i-th to
    servers[i % len(servers)]: each is answered from its entry, stored once, one turn at a time."""
    sender = new_sender("burst")

    def send(index: int) -> Tuple[int, Any]:
        text, _ = QUESTIONS[index]
        return servers[index % len(servers)].post("/webhooks/rest/webhook", {"sender": sender, "message": text})

    replies = at_once(len(QUESTIONS), send)

    for (text, expected), (status, messages) in zip(QUESTIONS, replies):
        assert status == 200, (text, status, messages)
        assert text_of(messages).strip(), (text, messages)
        assert source_id(messages) == expected, (text, messages)

    # the servers share one tracker store; REST conversations are `rest:<sender>`
    events = tracker_events(servers[0].env, rest_conversation_id(sender))
    user_texts = [event.text for event in events if isinstance(event, UserUttered)]
    assert sorted(user_texts) == sorted(text for text, _ in QUESTIONS), "a message was lost or stored twice"
    assert_turns_do_not_interleave(events, dict(QUESTIONS))


def assert_turns_do_not_interleave(events: List[Any], expected: Dict[str, str]) -> None:
    """Each turn is complete before the next begins: user message, its answer, action_listen."""
    timestamps = [event.timestamp for event in events]
    assert timestamps == sorted(timestamps), "events are stored out of order"
    turns: List[List[Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            turns.append([event])
        elif turns:
            turns[-1].append(event)
    assert turns
    for turn in turns:
        text = turn[0].text
        actions = [event.action_name for event in turn if isinstance(event, ActionExecuted)]
        assert actions and actions[-1] == "action_listen" and actions.count("action_listen") == 1, (text, actions)
        answers = [event for event in turn if isinstance(event, BotUttered)]
        assert answers, f"no answer stored for {text!r}"
        sources = [((answer.data or {}).get("custom") or {}).get("source") for answer in answers]
        sources = [source["id"] for source in sources if source]
        assert sources == [expected[text]], (text, sources)
