"""The knowledge-base actions, with a real SQLite knowledge base, a Tracker and a dispatcher."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_question import ActionAnswerQuestion, resolve_topic
from actions.did_you_mean import ActionDidYouMean
from tests.contracts import check_custom_messages


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    ranking: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    return Tracker(
        sender_id="alice",
        slots={"language": "pl", "aspect": None, "plan": None, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            "intent_ranking": ranking or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def entity(kind: str, value: str) -> Dict[str, Any]:
    return {"entity": kind, "value": value}


async def run(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    check_custom_messages(dispatcher.messages)  # every payload keeps the contract (docs/contracts/)
    return dispatcher.messages, events


@pytest.mark.parametrize("intent, aspects, plans, prev, words, expected", [
    ("ask_budget", ["budget"], ["marketing"], (None, None), 5, ("budget", "marketing")),
    ("ask_team", ["team"], [], (None, None), 6, ("team", "both")),
    ("ask_overview", ["overview"], ["sales", "marketing"], (None, None), 8, ("overview", "both")),
    ("ask_overview", ["overview", "budget"], ["sales"], (None, None), 8, ("overview", "both")),
    ("ask_overview", ["goals"], [], (None, None), 12, ("overview", "both")),
    ("ask_team", ["team", "budget"], ["sales"], (None, None), 6, ("team", "sales")),
    ("follow_up", [], ["marketing"], ("team", "sales"), 3, ("team", "marketing")),
    ("follow_up", ["budget"], [], ("team", "sales"), 3, ("budget", "sales")),
    ("ask_budget", ["budget"], [], ("team", "sales"), 2, ("budget", "sales")),
    ("ask_budget", ["budget"], [], ("team", "sales"), 9, ("budget", "both")),
    ("ask_tools", [], [], (None, None), 4, ("tools", "both")),
    ("follow_up", [], [], (None, None), 2, (None, "both")),
])
def test_resolve_topic(intent, aspects, plans, prev, words, expected):
    assert resolve_topic(intent, aspects, plans, prev[0], prev[1], words) == expected


@pytest.mark.parametrize("refers_back, prev, expected", [
    (True, ("team", "sales"), ("evaluation", "sales")),      # "how do I evaluate it?"
    (False, ("team", "sales"), ("evaluation", "both")),      # a longer question of its own
    (True, (None, None), ("evaluation", "both")),            # "it" with nothing before
])
def test_a_longer_follow_up_that_points_back_keeps_the_plan(refers_back, prev, expected):
    assert resolve_topic("ask_evaluation", ["evaluation"], [], prev[0], prev[1], 6, refers_back) == expected


async def test_answer_with_source_and_context_slots(fake_kb):
    tracker = make_tracker("jaki budzet ma plan marketingowy", "ask_budget",
                           [entity("aspect", "budget"), entity("plan", "marketing")])
    messages, events = await run(ActionAnswerQuestion(), tracker)
    assert "budżet" in messages[0]["text"].lower()
    assert messages[1]["custom"] == {"source": {"id": "budget/marketing", "section": "6"}, "language": "pl"}
    assert events == [SlotSet("aspect", "budget"), SlotSet("plan", "marketing")]


async def test_follow_up_reuses_the_previous_aspect_in_english(fake_kb):
    tracker = make_tracker("and for marketing?", "follow_up", [entity("plan", "marketing")],
                           slots={"language": "en", "aspect": "team", "plan": "sales"})
    messages, events = await run(ActionAnswerQuestion(), tracker)
    assert messages[1]["custom"] == {"source": {"id": "team/marketing", "section": "5"}, "language": "en"}
    assert "marketing team" in messages[0]["text"].lower()


async def test_faq_answer(fake_kb):
    tracker = make_tracker("Does a marketing plan include sales?", "faq_marketing_plan_includes_sales",
                           slots={"language": "en"})
    messages, events = await run(ActionAnswerQuestion(), tracker)
    assert messages[1]["custom"]["source"] == {"id": "faq/marketing_plan_includes_sales", "section": "faq2"}
    assert events == []


async def test_too_long_message_gets_a_polite_reply(fake_kb):
    tracker = make_tracker("budżet " * 3000, "ask_budget", [entity("aspect", "budget")])
    messages, _ = await run(ActionAnswerQuestion(), tracker)
    assert [m["response"] for m in messages] == ["utter_message_too_long"]


async def test_unreachable_knowledge_base_gets_a_temporary_error(monkeypatch, tmp_path):
    from actions.knowledge_base import clear_caches

    missing = tmp_path / "no" / "such" / "dir"
    monkeypatch.setenv("KNOWLEDGE_DB_URL", f"sqlite:///{missing}/kb.db?mode=ro")
    clear_caches()
    try:
        tracker = make_tracker("jaki budżet", "ask_budget", [entity("aspect", "budget")])
        messages, events = await run(ActionAnswerQuestion(), tracker)
    finally:
        clear_caches()
    assert messages[0]["response"] == "utter_temporarily_unavailable"
    assert events == []


async def test_did_you_mean_offers_up_to_three_knowledge_topics(fake_kb):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_budget", "confidence": 0.25},
        {"name": "greet", "confidence": 0.2},
        {"name": "faq_difference_sales_marketing", "confidence": 0.15},
        {"name": "ask_team", "confidence": 0.1},
        {"name": "ask_tools", "confidence": 0.08},
    ]
    tracker = make_tracker("hmm pieniadze sprzedaz", "nlu_fallback", [entity("plan", "sales")], ranking=ranking)
    messages, _ = await run(ActionDidYouMean(), tracker)
    assert messages[0]["response"] == "utter_did_you_mean"
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        '/ask_budget{"aspect":"budget","plan":"sales"}',
        "/faq_difference_sales_marketing",
        '/ask_team{"aspect":"team","plan":"sales"}',
    ]
    assert buttons[1]["title"].endswith("?")
    assert messages[1]["response"] == "utter_fallback_payload"


async def test_did_you_mean_buttons_compare_both_plans_when_no_plan_was_named(fake_kb):
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "ask_definition", "confidence": 0.2}]
    tracker = make_tracker("hmm", "nlu_fallback", slots={"plan": "marketing"}, ranking=ranking)
    messages, _ = await run(ActionDidYouMean(), tracker)
    assert messages[0]["buttons"][0]["payload"] == '/ask_definition{"aspect":"definition","plan":"both"}'


async def test_did_you_mean_without_candidates_says_it_did_not_understand(fake_kb):
    tracker = make_tracker("xyz", "nlu_fallback", ranking=[{"name": "greet", "confidence": 0.3}])
    messages, _ = await run(ActionDidYouMean(), tracker)
    assert [m["response"] for m in messages] == ["utter_default"]

