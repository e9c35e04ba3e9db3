"""Votes on answers and the hand-off to a person, over REST with the trained assistant.

A vote is an ordinary message, `/feedback{"source": ..., "value": ...}`: the tests check the
reply, and in the tracker store (Rasa's `events` table, what `advisor report` reads) that the
vote is kept as the user event itself, with intent `feedback` and its entities, and that it
changed no slot and no form. The hand-off runs once on the shared assistant (no ADVISOR_CONTACT)
and once on one started with a contact per language.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa

from tests.integration.test_chat import custom_of, source_id, text_of
from tests.support import Assistant, start_assistant, stop_assistant

pytestmark = pytest.mark.servers

CONTACT_PL = "zespol.planow@firma.example"
CONTACT_EN = "https://intranet.example/plan-advisor/help"
OFF_TOPIC = {"pl": "jaka będzie jutro pogoda w Krakowie?", "en": "What's the weather in Warsaw tomorrow?"}
OFF_TOPIC_2 = {"pl": "Jaka jest stawka VAT na usługi marketingowe?", "en": "Who won the football match yesterday?"}
ASK_HUMAN = {"pl": "chcę porozmawiać z człowiekiem", "en": "talk to a human"}
UNCONFIGURED = {"pl": "nie skonfigurowano osoby do kontaktu", "en": "no contact person has been configured"}
THANKS = {"pl": ("Dziękuję za opinię", "Dzięki, zanotowałem"), "en": ("Thank you for your feedback", "Thanks, noted")}
HANDOFF_MARKERS = ("[", "nie skonfigurowano", "no contact person")


def vote(source: str, value: str, comment: Optional[str] = None) -> str:
    entities = {"source": source, "value": value}
    if comment is not None:
        entities["comment"] = comment
    return "/feedback" + json.dumps(entities, ensure_ascii=False)


def stored_events(assistant: Assistant, sender: str) -> List[Dict[str, Any]]:
    """The stored events of a REST conversation (kept as `rest:<sender>`, apart from the intranet's)."""
    engine = sa.create_engine(assistant.env["TRACKER_STORE_URL"], future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": f"rest:{sender}"}
            ).scalars().all()
    finally:
        engine.dispose()
    return [json.loads(row) for row in rows]


def state_after(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Slot values and the active form after `events`."""
    slots: Dict[str, Any] = {}
    loop = None
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
        elif event["event"] == "active_loop":
            loop = event.get("name")
    return {"slots": slots, "active_loop": loop}


def last_user_index(events: List[Dict[str, Any]]) -> int:
    return max(i for i, event in enumerate(events) if event["event"] == "user")


def is_thanks(messages: List[Dict[str, Any]], lang: str) -> bool:
    return any(thanks in text_of(messages) for thanks in THANKS[lang])


def offers_a_person(messages: List[Dict[str, Any]]) -> bool:
    text = text_of(messages)
    return CONTACT_PL in text or CONTACT_EN in text or any(m in text for m in UNCONFIGURED.values())


@pytest.mark.parametrize("lang, question, expected_source", [
    ("pl", "jaki budżet ma plan marketingowy?", "budget/marketing"),
    ("en", "Who carries out the sales plan?", "team/sales"),
])
def test_a_vote_is_thanked_for_and_kept_as_the_user_event(assistant, lang, question, expected_source):
    sender = f"vote-{lang}"
    answer = assistant.say(sender, question)
    assert source_id(answer) == expected_source
    before = stored_events(assistant, sender)

    reply = assistant.say(sender, vote(expected_source, "down", "brak przykładów" if lang == "pl" else "no examples"))
    assert is_thanks(reply, lang), reply
    assert custom_of(reply) is None  # a thank-you is not an answer and not a decline

    events = stored_events(assistant, sender)
    [user] = [event for event in events[len(before):] if event["event"] == "user"]
    assert user["parse_data"]["intent"]["name"] == "feedback"
    entities = {entity["entity"]: entity["value"] for entity in user["parse_data"]["entities"]}
    assert entities == {"source": expected_source, "value": "down",
                        "comment": "brak przykładów" if lang == "pl" else "no examples"}
    assert state_after(events) == state_after(before)  # no slot, no form changed

    reply = assistant.say(sender, vote(expected_source, "up"))
    assert is_thanks(reply, lang)
    assert state_after(stored_events(assistant, sender)) == state_after(before)
    # the conversation goes on where it was: a follow-up keeps the answer's plan
    follow_up = assistant.say(sender, "a narzędzia?" if lang == "pl" else "and the tools?")
    assert source_id(follow_up) == expected_source.replace(expected_source.split("/")[0], "tools")


@pytest.mark.parametrize("lang, question, unreadable", [
    ("pl", "jaki budżet ma plan marketingowy?", "Nie udało się odczytać tej oceny"),
    ("en", "Who carries out the sales plan?", "I couldn't read that rating"),
])
def test_a_malformed_vote_is_answered_plainly_and_changes_nothing(assistant, lang, question, unreadable):
    sender = f"bad-vote-{lang}"
    assistant.say(sender, question)
    before = stored_events(assistant, sender)
    for payload in ('/feedback{"source": "budget/marketing", "value": "meh"}', '/feedback{"value": "up"}'):
        reply = assistant.say(sender, payload)
        assert unreadable in text_of(reply) and not is_thanks(reply, lang), reply
    assert state_after(stored_events(assistant, sender)) == state_after(before)


def test_a_vote_during_plan_building_keeps_the_form_and_is_no_answer(assistant):
    sender = "vote-in-plan"
    say = lambda text: assistant.say(sender, text)  # noqa: E731
    asked = text_of(say("pomóż mi ułożyć plan"))
    assert "co sprzedaje Twoja firma" in asked
    before = stored_events(assistant, sender)

    reply = say(vote("budget/marketing", "up"))
    assert is_thanks(reply, "pl")
    assert "co sprzedaje Twoja firma" in text_of(reply)  # the form asks its question again
    events = stored_events(assistant, sender)
    assert state_after(events) == state_after(before)
    assert state_after(events)["active_loop"] == "plan_form"
    assert state_after(events)["slots"].get("business") is None  # the vote was not taken as the answer

    assert "pierwszy cel" in text_of(say("sprzedajemy meble biurowe dla firm"))
    reply = say(vote("goals/sales", "down", "za mało konkretów"))
    assert is_thanks(reply, "pl") and "pierwszy cel" in text_of(reply)  # still the first goal
    reply = say("zwiększyć sprzedaż o 15% w tym kwartale")
    assert "Cel 1:" in text_of(reply)  # the vote was not counted as a goal
    assert not offers_a_person(reply)


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_asking_for_a_person_without_a_contact_says_none_is_configured(assistant, lang):
    reply = assistant.say(f"human-none-{lang}", ASK_HUMAN[lang])
    assert UNCONFIGURED[lang] in text_of(reply), reply
    assert custom_of(reply) == {"source": None, "fallback": True, "handoff": True, "language": lang}
    assert "@" not in text_of(reply) and "http" not in text_of(reply)


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_two_declines_in_a_row_offer_a_person(assistant, lang):
    sender = f"declines-{lang}"
    first = assistant.say(sender, OFF_TOPIC[lang])
    assert custom_of(first)["fallback"] is True and not offers_a_person(first)
    assert is_thanks(assistant.say(sender, vote("faq/difference_sales_marketing", "down")), lang)  # not a turn
    second = assistant.say(sender, OFF_TOPIC_2[lang])
    assert custom_of(second) == {"source": None, "fallback": True, "language": lang}  # one payload, the decline's
    assert UNCONFIGURED[lang] in text_of(second), second
    third = assistant.say(sender, OFF_TOPIC[lang])  # the offer was made: counting starts again
    assert not offers_a_person(third)


def test_an_answer_between_two_declines_breaks_the_row(assistant):
    sender = "declines-broken"
    assert not offers_a_person(assistant.say(sender, OFF_TOPIC["pl"]))
    assert source_id(assistant.say(sender, "kto realizuje plan sprzedaży?")) == "team/sales"
    assert not offers_a_person(assistant.say(sender, OFF_TOPIC_2["pl"]))


@pytest.fixture(scope="module")
def assistant_with_contact(tmp_path_factory) -> Iterator[Assistant]:
    running = start_assistant(
        tmp_path_factory.mktemp("assistant-contact"),
        {"ADVISOR_CONTACT": f"pl={CONTACT_PL},en={CONTACT_EN}"},
    )
    yield running
    stop_assistant(running)


@pytest.mark.parametrize("lang, contact, link", [
    ("pl", CONTACT_PL, f"mailto:{CONTACT_PL}"),
    ("en", CONTACT_EN, CONTACT_EN),
])
def test_asking_for_a_person_gives_the_configured_contact(assistant_with_contact, lang, contact, link):
    reply = assistant_with_contact.say(f"human-{lang}", ASK_HUMAN[lang])
    assert f"[{contact}]({link})" in text_of(reply), reply
    other = CONTACT_EN if lang == "pl" else CONTACT_PL
    assert other not in text_of(reply)

    sender = f"declines-contact-{lang}"
    assistant_with_contact.say(sender, OFF_TOPIC[lang])
    assert f"[{contact}]({link})" in text_of(assistant_with_contact.say(sender, OFF_TOPIC_2[lang]))


def test_asking_for_a_person_in_the_middle_of_a_plan_keeps_the_plan(assistant_with_contact):
    sender = "human-in-plan"
    say = lambda text: assistant_with_contact.say(sender, text)  # noqa: E731
    say("help me build a plan")
    reply = say("can I talk to a human?")
    assert CONTACT_EN in text_of(reply)
    assert "what does your company sell" in text_of(reply)
