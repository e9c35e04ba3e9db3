"""Hand-off: ADVISOR_CONTACT, counting declines in a row (votes skipped), and the actions' replies."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionDecline, ActionOfferHandoff, declines_before
from bot.settings import Settings, parse_contacts

FALLBACK = {"custom": {"source": None, "fallback": True, "language": "pl"}}
ANSWER = {"custom": {"source": {"id": "budget/sales", "section": "6"}, "language": "pl"}}


def user(intent: str = "out_of_scope") -> Dict[str, Any]:
    return {"event": "user", "text": "...", "parse_data": {"intent": {"name": intent, "confidence": 1.0}}}


def bot(data: Optional[Dict[str, Any]] = None, utter_action: Optional[str] = None) -> Dict[str, Any]:
    return {"event": "bot", "text": "...", "data": data or {}, "metadata": {"utter_action": utter_action} if utter_action else {}}


def declined_turn() -> List[Dict[str, Any]]:
    return [user(), {"event": "action", "name": "action_decline"}, bot(utter_action="utter_decline"), bot(FALLBACK)]


def answered_turn() -> List[Dict[str, Any]]:
    return [user("ask_budget"), {"event": "action", "name": "action_answer_question"}, bot(), bot(ANSWER)]


def vote_turn() -> List[Dict[str, Any]]:
    return [user("feedback"), {"event": "action", "name": "utter_feedback_thanks"}, bot(utter_action="utter_feedback_thanks")]


CURRENT = [user()]  # the turn being answered


@pytest.mark.parametrize("history, expected", [
    ([], 0),
    (declined_turn(), 1),
    (answered_turn() + declined_turn(), 1),
    (declined_turn() + answered_turn(), 0),
    (declined_turn() + vote_turn(), 1),  # a vote is no turn of its own
    (declined_turn() + vote_turn() + vote_turn() + declined_turn(), 2),
    # a turn that offered a person starts the count again
    (declined_turn() + declined_turn()[:-1] + [bot(FALLBACK), bot(utter_action="utter_handoff_after_declines")], 0),
    # a new session starts the count again
    (declined_turn() + [{"event": "session_started"}], 0),
])
def test_declines_before_the_current_turn(history, expected):
    assert declines_before([{"event": "action", "name": "action_listen"}] + history + CURRENT) == expected


@pytest.mark.parametrize("raw, expected", [
    ("", ()),
    ("help@firma.example", (("*", "mailto:help@firma.example"),)),
    ("mailto:help@firma.example", (("*", "mailto:help@firma.example"),)),
    ("https://intranet.example/help", (("*", "https://intranet.example/help"),)),
    ("pl=zespol@firma.example, en=https://intranet.example/en/help",
     (("pl", "mailto:zespol@firma.example"), ("en", "https://intranet.example/en/help"))),
])
def test_contacts_are_read_from_advisor_contact(raw, expected):
    assert parse_contacts(raw) == expected


@pytest.mark.parametrize("raw", ["call Anna", "pl=", "ftp://files.example", "pl=a@b.example,pl=c@d.example", "javascript:alert(1)"])
def test_a_contact_that_is_no_address_is_refused_by_name(raw):
    with pytest.raises(ValueError, match="ADVISOR_CONTACT"):
        parse_contacts(raw)


def test_a_language_without_its_own_contact_gets_none_or_the_shared_one():
    only_pl = Settings.from_env({"ADVISOR_CONTACT": "pl=zespol@firma.example"})
    assert only_pl.contact_for("pl") == "mailto:zespol@firma.example" and only_pl.contact_for("en") is None
    shared = Settings.from_env({"ADVISOR_CONTACT": "https://intranet.example/help"})
    assert shared.contact_for("en") == "https://intranet.example/help"
    assert Settings.from_env({}).contact_for("pl") is None


def tracker(events: List[Dict[str, Any]], lang: str = "pl") -> Tracker:
    return Tracker("alice", {"language": lang}, events[-1].get("parse_data") or {}, events, False, None, {}, "action_listen")


async def run(action, events, lang="pl"):
    dispatcher = CollectingDispatcher()
    assert await action.run(dispatcher, tracker(events, lang), {}) == []
    return dispatcher.messages


async def test_decline_offers_a_person_on_the_second_in_a_row(monkeypatch):
    monkeypatch.setenv("ADVISOR_CONTACT", "pl=zespol@firma.example,en=https://intranet.example/help")
    first = await run(ActionDecline(), CURRENT)
    assert [m["response"] for m in first] == ["utter_decline"]
    second = await run(ActionDecline(), declined_turn() + CURRENT, "en")
    assert [m["response"] for m in second] == ["utter_decline", "utter_handoff_after_declines"]
    assert second[1]["contact"] == "https://intranet.example/help" and second[1]["contact_link"] == "https://intranet.example/help"


async def test_asking_for_a_person_shows_the_address_and_links_it(monkeypatch):
    monkeypatch.setenv("ADVISOR_CONTACT", "pl=zespol@firma.example")
    [message, payload] = await run(ActionOfferHandoff(), [user("ask_human")])
    assert message["response"] == "utter_handoff"
    assert (message["contact"], message["contact_link"]) == ("zespol@firma.example", "mailto:zespol@firma.example")
    assert payload["custom"] == {"source": None, "fallback": True, "handoff": True, "language": "pl"}
    [message, payload] = await run(ActionOfferHandoff(), [user("ask_human")], "en")  # no English contact
    assert message["response"] == "utter_handoff_unconfigured"
    assert payload["custom"]["language"] == "en"


async def test_without_a_contact_the_assistant_says_none_is_configured(monkeypatch):
    monkeypatch.delenv("ADVISOR_CONTACT", raising=False)
    [message, _] = await run(ActionOfferHandoff(), [user("ask_human")])
    assert message["response"] == "utter_handoff_unconfigured" and "contact" not in message


async def test_not_understood_twice_in_a_row_offers_a_person(fake_kb, monkeypatch):
    from actions.answer_question import ActionAnswerQuestion
    from actions.did_you_mean import ActionDidYouMean

    monkeypatch.delenv("ADVISOR_CONTACT", raising=False)
    not_understood = {"event": "user", "text": "xyz", "parse_data": {
        "text": "xyz", "intent": {"name": "nlu_fallback", "confidence": 0.2},
        "intent_ranking": [{"name": "greet", "confidence": 0.3}], "entities": []}}
    first = await run(ActionDidYouMean(), [not_understood])
    assert [m["response"] for m in first] == ["utter_default"]
    second = await run(ActionDidYouMean(), declined_turn() + vote_turn() + [not_understood])
    assert [m["response"] for m in second] == ["utter_default", "utter_handoff_unconfigured"]
    # a question with no topic the assistant could find counts as well
    no_topic = {"event": "user", "text": "a to?", "parse_data": {
        "text": "a to?", "intent": {"name": "follow_up", "confidence": 0.9}, "entities": []}}
    third = await run(ActionAnswerQuestion(), declined_turn() + [no_topic])
    assert [m["response"] for m in third] == ["utter_default", "utter_handoff_unconfigured"]


def question(text: str, entities: List[Dict[str, Any]], ranking: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {
        "text": text, "intent": {"name": "out_of_scope", "confidence": ranking[0]["confidence"]},
        "intent_ranking": ranking, "entities": entities}}


RANKING = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "ask_team", "confidence": 0.3},
           {"name": "greet", "confidence": 0.1}]


async def test_a_decline_of_a_message_in_the_guides_words_offers_its_likely_topics(fake_kb, monkeypatch):
    monkeypatch.delenv("ADVISOR_CONTACT", raising=False)
    [decline] = await run(ActionDecline(), [question("Kto jest za co odpowiedzialny?",
                                                     [{"entity": "aspect", "value": "team"}], RANKING)])
    assert decline["response"] == "utter_decline"
    assert [b["payload"] for b in decline["buttons"]] == ['/ask_team{"aspect":"team","plan":"both"}']
    # no aspect of the plans named: a plain decline, whatever the ranking
    [decline] = await run(ActionDecline(), [question("Jaka będzie jutro pogoda?", [], RANKING)])
    assert decline["response"] == "utter_decline" and not decline["buttons"]


async def test_a_decline_needs_no_knowledge_base(monkeypatch):
    from actions.knowledge_base import KnowledgeUnavailable, use_service

    class Unavailable:
        def topics(self, lang):
            raise KnowledgeUnavailable("down")

    monkeypatch.delenv("ADVISOR_CONTACT", raising=False)
    use_service(Unavailable())
    try:
        [decline] = await run(ActionDecline(), [question("Kto jest za co odpowiedzialny?",
                                                         [{"entity": "aspect", "value": "team"}], RANKING)])
    finally:
        use_service(None)
    assert decline["response"] == "utter_decline" and not decline["buttons"]
