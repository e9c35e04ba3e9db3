"""Long conversations: hundreds of events and several sessions, on SQLite and PostgreSQL.

The assistant runs with a small window (`ADVISOR_TRACKER_WINDOW=30`), so a conversation of a
hundred turns moves its checkpoint many times. Sessions are made to expire the way they do after
two hours of silence: the conversation's stored events are moved back in time, and Rasa's
processor then starts a new session itself (with `carry_over_slots_to_new_session`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest
from sqlalchemy import create_engine, text

from bot.channels.rest import conversation_id as rest_id
from tests.support import Assistant, start_assistant, stop_assistant, temporary_postgres_database

pytestmark = pytest.mark.servers

WINDOW = 30

# (message, expected source id; "decline" for a declined question; None for a reply without a source)
ROUND = [
    ("dzień dobry", None),
    ("Kto odpowiada za plan marketingowy?", "team/marketing"),
    ("a budżet?", "budget/marketing"),
    ("a dla planu sprzedaży?", "budget/sales"),
    ("dzięki", None),
    ("hello", None),
    ("Who carries out the sales plan?", "team/sales"),
    ("and for marketing?", "team/marketing"),
    ("Does a marketing plan include sales?", "faq/marketing_plan_includes_sales"),
    ("What's the weather?", "decline"),
    ("thanks a lot", None),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def long_assistant(request, tmp_path_factory) -> Iterator[Assistant]:
    """The assistant with a small window, its tracker store on SQLite or on PostgreSQL."""
    folder = tmp_path_factory.mktemp(f"long-{request.param}")
    env = {"ADVISOR_TRACKER_WINDOW": str(WINDOW), "ADVISOR_RATE_LIMIT": "0"}  # rounds go faster than 30 a minute
    if request.param == "sqlite":
        running = start_assistant(folder, extra_env=env)
        yield running
        stop_assistant(running)
    else:
        with temporary_postgres_database() as url:
            running = start_assistant(folder, extra_env={**env, "TRACKER_STORE_URL": url})
            yield running
            stop_assistant(running)


def source(messages: List[Dict[str, Any]]) -> Optional[str]:
    for message in messages:
        custom = message.get("custom") or {}
        if "source" in custom:
            return custom["source"]["id"] if custom["source"] else "decline"
    return None


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


def play_rounds(assistant: Assistant, sender: str, rounds: int, intranet: bool = False) -> None:
    say = say_intranet if intranet else Assistant.say
    for n in range(rounds):
        for message, expected in ROUND:
            reply = say(assistant, sender, message)
            assert source(reply) == expected, (n, message, reply)
            assert texts(reply).strip(), (n, message)


def say_intranet(assistant: Assistant, user: str, text: str) -> List[Dict[str, Any]]:
    """One message as the employee `user`, through the intranet channel (conversation id = `user`)."""
    from bot.tokens import issue_token

    token = issue_token(assistant.jwt_secret, user)
    status, reply = assistant.post("/webhooks/intranet/webhook", {"message": text}, {"Authorization": f"Bearer {token}"})
    assert status == 200, (status, reply)
    return reply


def tracker_db(assistant: Assistant):
    return create_engine(assistant.env["TRACKER_STORE_URL"], future=True)


def stored(assistant: Assistant, sender: str, what: str = "count(*)", where: str = "") -> Any:
    engine = tracker_db(assistant)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(f"SELECT {what} FROM events WHERE sender_id = :sender {where}"), {"sender": sender}
            ).scalar()
    finally:
        engine.dispose()


def expire_session(assistant: Assistant, sender: str, hours: float = 3) -> None:
    """Move the conversation `hours` into the past, as if the employee had been away."""
    shift = hours * 3600
    engine = tracker_db(assistant)
    try:
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT id, data FROM events WHERE sender_id = :sender"), {"sender": sender}
            ).all()
            for row in rows:
                data = json.loads(row.data)
                data["timestamp"] -= shift
                connection.execute(
                    text("UPDATE events SET data = :data, timestamp = :timestamp WHERE id = :id"),
                    {"data": json.dumps(data), "timestamp": data["timestamp"], "id": row.id},
                )
            connection.execute(
                text("UPDATE tracker_checkpoints SET timestamp = timestamp - :shift WHERE sender_id = :sender"),
                {"shift": shift, "sender": sender},
            )
    finally:
        engine.dispose()


def sessions(assistant: Assistant, sender: str) -> int:
    return stored(assistant, sender, where="AND type_name = 'session_started'")


def new_sender(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_a_long_conversation_answers_like_a_new_one(long_assistant: Assistant) -> None:
    """Over a hundred turns (far beyond the window), every answer and follow-up stays right."""
    sender = new_sender("long")
    play_rounds(long_assistant, sender, 9)
    assert stored(long_assistant, rest_id(sender)) > 20 * WINDOW  # hundreds of events, all kept
    assert stored(long_assistant, rest_id(sender), where="AND type_name = 'user'") == 9 * len(ROUND)


def test_language_and_a_plan_in_progress_carry_over_to_a_new_session(long_assistant: Assistant) -> None:
    assistant = long_assistant
    # what a message without a language ("okay") gets in an English and in a Polish conversation
    english, polish = new_sender("en"), new_sender("pl")
    assistant.say(english, "hello")
    reply_en, reply_pl = texts(assistant.say(english, "okay")), texts(assistant.say(polish, "okay"))
    assert reply_en != reply_pl

    sender = new_sender("sessions")
    play_rounds(assistant, sender, 3)  # ends in English
    expire_session(assistant, rest_id(sender))
    assert texts(assistant.say(sender, "okay")) == reply_en  # the language slot came along
    assert sessions(assistant, rest_id(sender)) == 2

    assistant.say(sender, "help me build a plan")
    assistant.say(sender, "We sell accounting software to small firms")
    goal = "Increase sales by 10% this quarter"
    assert classified(assistant.say(sender, goal))
    expire_session(assistant, rest_id(sender))
    shown = assistant.say(sender, "show my plan")
    assert sessions(assistant, rest_id(sender)) == 3
    assert goal.lower() in texts(shown).lower(), shown  # the plan in progress is still there
    assert classified(assistant.say(sender, "Build brand awareness over the next three years"))  # and open
    assistant.say(sender, "cancel")
    # follow-ups work inside the new session
    assert source(assistant.say(sender, "Who carries out the sales plan?")) == "team/sales"
    assert source(assistant.say(sender, "and for marketing?")) == "team/marketing"


def classified(messages: List[Dict[str, Any]]) -> bool:
    return any("classification" in (m.get("custom") or {}) for m in messages)


def test_history_returns_messages_of_earlier_sessions(long_assistant: Assistant) -> None:
    from bot.tokens import issue_token

    assistant = long_assistant
    user = new_sender("employee")
    first = "Kto odpowiada za plan marketingowy?"
    say_intranet(assistant, user, first)
    play_rounds(assistant, user, 2, intranet=True)
    expire_session(assistant, user)
    play_rounds(assistant, user, 2, intranet=True)
    assert sessions(assistant, user) == 2

    token = issue_token(assistant.jwt_secret, user)
    status, body = _get(assistant, "/webhooks/intranet/history?limit=500", token)
    assert status == 200, body
    said = [m["text"] for m in body["messages"] if m["role"] == "user"]
    assert said == [first] + [message for message, _ in ROUND] * 4
    answers = [m for m in body["messages"] if m["role"] == "bot" and (m.get("custom") or {}).get("source")]
    assert answers[0]["custom"]["source"]["id"] == "team/marketing"
    status, latest = _get(assistant, "/webhooks/intranet/history?limit=3", token)
    assert [m.get("text") for m in latest["messages"]][-1] == body["messages"][-1].get("text")
    assert len(latest["messages"]) == 3


def _get(assistant: Assistant, path: str, token: str):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(assistant.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
