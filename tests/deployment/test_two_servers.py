"""Two Rasa servers, one action server, shared PostgreSQL tracker store and Redis lock store.

The `company` fixture (tests/deployment/conftest.py) runs the deployment a company runs, on
this machine's PostgreSQL and Redis. A load balancer may send any message of a conversation to
either server: the conversation must go on as if there were one server, and messages sent at
the same moment must be handled one at a time, each answered, none lost or stored twice.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.channels.rest import conversation_id as rest_conversation_id

pytestmark = [pytest.mark.servers, pytest.mark.postgres, pytest.mark.redis]

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
    for message in messages:
        custom = message.get("custom") or {}
        if "source" in custom:
            return custom["source"]["id"] if custom["source"] else None
    return None


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


def new_sender(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_a_conversation_alternating_between_servers_keeps_its_context(company):
    a, b = company.servers
    pl = new_sender("alternate-pl")
    assert source_id(a.say(pl, "Kto odpowiada za plan marketingowy?")) == "team/marketing"
    assert source_id(b.say(pl, "a budżet?")) == "budget/marketing"  # plan from the turn on server A
    assert source_id(a.say(pl, "a dla planu sprzedaży?")) == "budget/sales"  # aspect from server B's turn
    assert source_id(b.say(pl, "a zespół?")) == "team/sales"

    en = new_sender("alternate-en")
    assert source_id(b.say(en, "Who carries out the sales plan?")) == "team/sales"
    reply = a.say(en, "and for marketing?")
    assert source_id(reply) == "team/marketing"
    assert all((m.get("custom") or {}).get("language", "en") == "en" for m in reply)

    # the language chosen on one server holds on the other
    switch = new_sender("alternate-switch")
    a.say(switch, "Cześć")
    assert "English" in text_of(b.say(switch, "in English please"))
    reply = a.say(switch, "and the budget of a marketing plan?")
    assert source_id(reply) == "budget/marketing"


def test_twenty_messages_at_once_through_both_servers_are_all_answered_once_in_order(company):
    a, b = company.servers
    sender = new_sender("burst")
    start = threading.Barrier(len(QUESTIONS))

    def send(index: int) -> Tuple[int, Any]:
        text, _ = QUESTIONS[index]
        server = (a, b)[index % 2]
        start.wait(timeout=60)
        return server.post("/webhooks/rest/webhook", {"sender": sender, "message": text})

    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        replies = list(pool.map(send, range(len(QUESTIONS))))

    for (text, expected), (status, messages) in zip(QUESTIONS, replies):
        assert status == 200, (text, status, messages)
        assert text_of(messages).strip(), (text, messages)
        assert source_id(messages) == expected, (text, messages)

    events = company.tracker_events(rest_conversation_id(sender))  # REST conversations are `rest:<sender>`
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


def test_a_plan_started_on_one_server_is_finished_on_the_other(company):
    a, b = company.servers
    user = new_sender("plan-two-servers")
    first = a.say(user, "pomóż mi ułożyć plan")
    if not text_of(first).strip():
        pytest.fail(f"the plan builder did not start: {first}")
    b.say(user, "sprzedajemy meble biurowe dla firm")
    verdicts = []
    for server, goal in ((a, "zwiększyć sprzedaż o 15% w tym kwartale"),
                         (b, "budowa rozpoznawalności marki w ciągu 3 lat")):
        reply = server.say(user, goal)
        verdicts += [m["custom"]["classification"]["plan"] for m in reply
                     if "classification" in (m.get("custom") or {})]
    assert verdicts == ["sales", "marketing"]
    a.say(user, "to wszystko")
    b.say(user, "3 lata")
    draft = a.say(user, "50 tys. zł")
    [plan] = [m["custom"]["plan"] for m in draft if "plan" in (m.get("custom") or {})]
    assert [goal["plan"] for goal in plan["goals"]] == ["sales", "marketing"]
    assert plan["budget"]["amount"] == 50000

    shown = b.say(user, "pokaż mój plan")
    [again] = [m["custom"]["plan"] for m in shown if "plan" in (m.get("custom") or {})]
    assert again["id"] == plan["id"]
