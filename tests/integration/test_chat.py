"""The trained assistant over REST: cited answers, follow-ups, languages, fallback, bad input."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

pytestmark = pytest.mark.servers


def custom_of(messages: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    customs = [m["custom"] for m in messages if "custom" in m and "source" in m["custom"]]
    assert len(customs) <= 1, messages
    return customs[0] if customs else None


def text_of(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def source_id(messages) -> Optional[str]:
    custom = custom_of(messages)
    return custom["source"]["id"] if custom and custom["source"] else None


def test_the_newcomer_questions(assistant):
    """The questions of the chat issue's "Done when", in one conversation each per language."""
    pl = assistant.say("newcomer-pl", "Czym różni się plan sprzedaży od planu marketingowego?")
    assert source_id(pl) == "overview/both" and custom_of(pl)["language"] == "pl"
    pl = assistant.say("newcomer-pl", "jaki budzet ma plan marketingowy")
    assert source_id(pl) == "budget/marketing" and custom_of(pl)["source"]["section"] == "6"
    assert "budżet" in text_of(pl).lower()

    en = assistant.say("newcomer-en", "Who carries out the sales plan?")
    assert source_id(en) == "team/sales" and custom_of(en)["language"] == "en"
    en = assistant.say("newcomer-en", "and for marketing?")
    assert source_id(en) == "team/marketing"
    en = assistant.say("newcomer-en", "Does a marketing plan include sales?")
    assert source_id(en) == "faq/marketing_plan_includes_sales"
    en = assistant.say("newcomer-en", "What's the weather?")
    assert custom_of(en) == {"source": None, "fallback": True, "language": "en"}
    assert text_of(en)


def test_follow_up_changes_the_aspect_and_keeps_the_plan(assistant):
    assert source_id(assistant.say("follow-pl", "Kto odpowiada za plan marketingowy?")) == "team/marketing"
    assert source_id(assistant.say("follow-pl", "a budżet?")) == "budget/marketing"
    assert source_id(assistant.say("follow-pl", "a dla planu sprzedaży?")) == "budget/sales"


def test_language_switch_on_request(assistant):
    assistant.say("switch", "Cześć")
    reply = assistant.say("switch", "in English please")
    assert "English" in text_of(reply)
    reply = assistant.say("switch", "po polsku proszę")
    assert "polsku" in text_of(reply)
    reply = assistant.say("switch", "mów po angielsku")
    assert "English" in text_of(reply)


@pytest.mark.parametrize("question", [
    "Ile kosztuje ten chatbot?",
    "Jaka jest stawka VAT na usługi marketingowe?",
    "What's the weather in Warsaw tomorrow?",
    "Can someone from your sales team call me?",
])
def test_out_of_scope_is_declined(assistant, question):
    reply = assistant.say("decline", question)
    assert custom_of(reply)["source"] is None and custom_of(reply)["fallback"] is True


def test_greetings_help_and_thanks_in_both_languages(assistant):
    for sender, text in [("glue-pl", "dzień dobry"), ("glue-pl", "co potrafisz?"), ("glue-pl", "dzięki"),
                         ("glue-en", "hello"), ("glue-en", "what can you do"), ("glue-en", "thanks a lot")]:
        reply = assistant.say(sender, text)
        assert text_of(reply).strip(), text
        assert source_id(reply) is None


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "x" * 20000,
    "budżet " * 3000,
    "🙂🙂🙂",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE kb_entry; --",
    "plan sales marketing budżet what is",
    "42",
    "\u0000\u0007 ctrl",
])
def test_bad_input_gets_a_sensible_reply(assistant, text):
    status, reply = assistant.post("/webhooks/rest/webhook", {"sender": "bad-input", "message": text})
    assert status == 200, reply
    assert reply, "every message gets an answer"
    for message in reply:
        body = message.get("text") or ""
        assert "<script" not in body and "<img" not in body and "DROP TABLE" not in body
    # the knowledge base is intact
    assert source_id(assistant.say("bad-input-check", "jaki budżet ma plan sprzedaży?")) == "budget/sales"
