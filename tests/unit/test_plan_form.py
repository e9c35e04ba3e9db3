"""The plan form: who owns a message (the slot mappings and action_read_plan_answer), the
validation of each answer (goals classified at once, one clarifying question, bad input answered
clearly, in the plan's language, in the same turn) and the goal question."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher
from ruamel.yaml import YAML

from actions import plan_state as ps
from actions.plan_answer import ActionReadPlanAnswer, is_answer
from actions.plan_form import ValidatePlanForm
from actions.plan_questions import ActionAskGoal
from tests.plan_support import (  # noqa: F401 - fixtures
    DOMAIN, dispatcher, goal, json_messages, plan_kb, responses, slot_events, tracker,
)
from tests.support import PROJECT_DIR

ANSWER_INTENTS = {"state_goal", "not_sure"}
"""Intents that are always an answer while the form asks (besides `nlu_fallback`)."""


async def validate(t, slot: str, value: Any) -> tuple:
    """Run the validation as Rasa does after filling `slot` from the message: the candidate is
    the last event of the tracker. Returns (slots set, dispatcher)."""
    sent = CollectingDispatcher()
    t.slots[slot] = value
    t.events.append({"event": "slot", "name": slot, "value": value})
    events = await ValidatePlanForm().run(sent, t, DOMAIN)
    return slot_events(events), sent


async def answer(text, intent="state_goal", confidence=0.95, requested="goal", **kwargs) -> tuple:
    return await validate(tracker(text, intent, confidence, requested=requested, **kwargs), requested, text)


async def read(text, intent, confidence, requested="goal", **kwargs) -> Dict[str, Any]:
    events = await ActionReadPlanAnswer().run(CollectingDispatcher(), tracker(text, intent, confidence,
                                                                             requested=requested, **kwargs), DOMAIN)
    return slot_events(events)


# ---- answers -----------------------------------------------------------------------------


async def test_business_answer_moves_on_to_goals(plan_kb):
    slots, sent = await answer("sprzedajemy meble biurowe", "state_goal", 0.6, requested="business")
    assert slots["business"] == "sprzedajemy meble biurowe"
    assert slots["requested_slot"] == "goal"
    assert sent.messages == []


async def test_goal_is_classified_at_once_with_a_reason_and_custom_json(plan_kb):
    slots, sent = await answer("zwiększyć sprzedaż o 15% w tym kwartale", slots={"business": "meble"})
    assert slots["goal"] is None  # asked again: goals come one at a time
    assert [g["plan"] for g in slots["plan_goals"]] == ["sales"]
    assert slots["requested_slot"] == "goal"
    assert responses(sent) == ["utter_goal_verdict"]  # sent in this turn, before the next question
    verdict = sent.messages[0]
    assert verdict["number"] == 1 and verdict["plan_name"] == "plan sprzedaży" and "sprzeda" in verdict["reason"]
    [payload] = json_messages(sent)
    assert payload["classification"]["goal"] == "zwiększyć sprzedaż o 15% w tym kwartale"
    assert payload["classification"]["plan"] == "sales"
    assert payload["classification"]["reasons"][0]["section"] == "2"


async def test_mixed_goal_goes_to_both_plans(plan_kb):
    slots, sent = await answer("more sales this month and a stronger brand over three years", language="en")
    assert slots["plan_goals"][0]["plan"] == "both"
    assert responses(sent) == ["utter_goal_verdict_both"]


async def test_unclear_goal_gets_one_clarifying_question_then_a_verdict(plan_kb):
    first, sent = await answer("rozwój firmy")
    assert first["pending_goal"] == "rozwój firmy" and first["plan_goals"] is None
    assert json_messages(sent)[0]["classification"]["plan"] == "unclear"

    second, sent = await answer("wyniki w najbliższych miesiącach", "out_of_scope", 0.6,
                                slots={"pending_goal": "rozwój firmy"})
    assert second["pending_goal"] is None
    [added] = second["plan_goals"]
    assert added == {**added, "text": "rozwój firmy", "plan": "sales",
                     "clarification": "wyniki w najbliższych miesiącach"}
    assert json_messages(sent)[0]["classification"]["goal"].startswith("rozwój firmy")


async def test_goal_still_unclear_after_the_question_is_set_aside(plan_kb):
    slots, sent = await answer("jak rynek postrzega firmę przez lata", slots={"pending_goal": "ROI 20%"})
    assert slots["pending_goal"] is None and slots["plan_goals"] is None
    assert slots["plan_set_aside"][0]["text"] == "ROI 20%"
    assert slots["plan_set_aside"][0]["reasons"][0]["plan"] == "outside"
    assert "utter_goal_set_aside" in responses(sent)


async def test_not_sure_as_the_answer_sets_the_goal_aside(plan_kb):
    slots, _ = await answer("nie wiem", "not_sure", 0.95, slots={"pending_goal": "ROI 20%"})
    assert [g["text"] for g in slots["plan_set_aside"]] == ["ROI 20%"]
    assert "clarification" not in slots["plan_set_aside"][0]


async def test_duplicate_goal_is_not_added_twice(plan_kb):
    existing = [goal("więcej zamówień w grudniu", "sales")]
    slots, sent = await answer("Więcej zamówień  w grudniu", slots={"plan_goals": existing})
    assert slots["plan_goals"] == existing
    assert responses(sent) == ["utter_goal_duplicate"]


async def test_goals_done_needs_at_least_one_goal(plan_kb):
    slots, sent = await validate(tracker("to wszystko", "goals_done", 0.97, requested="goal"), "goals_done", True)
    assert slots["goals_done"] is None and slots["requested_slot"] == "goal"
    assert responses(sent) == ["utter_goals_needed"]


async def test_goals_done_moves_on_to_the_horizon(plan_kb):
    goals = [goal("a", "sales"), goal("b", "marketing"), goal("c", "both")]
    t = tracker("to wszystko", "goals_done", 0.97, requested="goal", slots={"plan_goals": goals})
    slots, sent = await validate(t, "goals_done", True)
    assert slots["goals_done"] is True and slots["requested_slot"] == "horizon"
    assert responses(sent) == ["utter_goals_summary"]
    assert {k: sent.messages[0][k] for k in ("sales", "marketing", "both", "count", "set_aside")} == {
        "sales": 1, "marketing": 1, "both": 1, "count": 3, "set_aside": 0}


async def test_horizon_and_budget_complete_the_form(plan_kb):
    done = {"business": "meble", "plan_goals": [goal("a", "sales")], "goals_done": True}
    slots, _ = await answer("3 lata", requested="horizon", slots=done)
    assert slots["horizon"] == {"text": "3 lata", "term": "long_term", "not_sure": False}
    assert slots["requested_slot"] == "budget"
    slots, _ = await answer("50 tys. zł", "state_goal", 0.4, requested="budget",
                            slots={**done, "horizon": {"text": "3 lata"}})
    assert slots["budget"] == {"text": "50 tys. zł", "amount": 50000.0, "currency": "PLN", "not_sure": False}
    assert slots["requested_slot"] is None  # the form is complete


async def test_budget_not_sure(plan_kb):
    slots, _ = await answer("nie wiem", "not_sure", 0.95, requested="budget", slots={"goals_done": True})
    assert slots["budget"]["not_sure"] is True


# ---- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, response", [
    ("x" * 5000, "utter_plan_input_too_long"),
    ("", "utter_plan_input_empty"),
    ("   ", "utter_plan_input_empty"),
    ("🚀🚀🚀", "utter_plan_input_empty"),
])
async def test_bad_goals_get_a_clear_reply_and_the_form_goes_on(plan_kb, text, response):
    slots, sent = await answer(text, "state_goal", 0.5)
    assert responses(sent) == [response]
    assert slots["plan_goals"] is None and slots["requested_slot"] == "goal"


@pytest.mark.parametrize("text, intent, response", [
    ("-5", "affirm", "utter_budget_not_positive"),
    ("0 zł", "state_goal", "utter_budget_not_positive"),
    ("dużo", "goals_done", "utter_budget_unreadable"),
    ("1e9", "affirm", "utter_budget_unreadable"),
    ("3 lata", "state_goal", "utter_budget_unreadable"),
    ("💰💰", "affirm", "utter_plan_input_empty"),
])
async def test_bad_budgets_get_a_clear_reply_and_the_budget_is_asked_again(plan_kb, text, intent, response):
    slots, sent = await answer(text, intent, 0.72, requested="budget", slots={"goals_done": True})
    assert responses(sent) == [response]
    assert slots["budget"] is None and slots["requested_slot"] == "budget"


async def test_horizon_without_a_time_is_asked_again(plan_kb):
    slots, sent = await answer("dużo", "goals_done", 0.72, requested="horizon", slots={"goals_done": True})
    assert responses(sent) == ["utter_horizon_unreadable"]
    assert slots["requested_slot"] == "horizon"
    slots, _ = await answer("rok", "affirm", 0.43, requested="horizon", slots={"goals_done": True})
    assert slots["horizon"]["text"] == "rok"


async def test_goal_in_the_other_language_is_taken_and_the_plan_keeps_its_language(plan_kb):
    t = tracker("increase sales by 10% next month", requested="goal", language="pl")
    t.latest_message["language"] = "en"  # the message's; the slot kept the plan's (bot/policies/language.py)
    slots, sent = await validate(t, "goal", "increase sales by 10% next month")
    assert responses(sent) == ["utter_plan_input_other_language", "utter_goal_verdict"]
    assert sent.messages[1]["plan_name"] == "plan sprzedaży"
    assert slots["plan_goals"][0]["plan"] == "sales"
    assert "language" not in slots


# ---- who owns the message -----------------------------------------------------------------


@pytest.mark.parametrize("text, intent, confidence, requested", [
    ("jaki budżet ma plan marketingowy?", "ask_budget", 0.97, "goal"),
    ("a dla marketingu?", "follow_up", 1.0, "goal"),
    ("plan sprzedaży – definicja", "ask_definition", 0.7, "goal"),  # no "?", but sure
    ("anuluj", "cancel", 0.97, "goal"),
    ("help", "help", 0.44, "goal"),
    ("usuń cel 2", "remove_goal", 1.0, "goal"),
    ("pokaż mój plan", "show_plan", 1.0, "budget"),
    ("replace goal 1 with double revenue this quarter", "replace_goal", 0.94, "budget"),
    ("jaka jutro pogoda?", "out_of_scope", 0.6, "goal"),
    ("dzięki", "thank", 0.82, "goal"),
    ("no", "deny", 0.58, "horizon"),
    ("to wszystko", "goals_done", 0.81, "business"),
    ("chcę porozmawiać z człowiekiem", "ask_human", 0.9, "goal"),
    ('/feedback{"source": "budget/sales", "value": "up"}', "feedback", 1.0, "goal"),  # a vote: for the rules
    ('/feedback{"source": "budget/sales", "value": "down", "comment": "50 000 zł"}', "feedback", 1.0, "budget"),
    ('/feedback{"source": "goals/sales", "value": "down", "comment": "3 lata"}', "feedback", 1.0, "horizon"),
    ('/feedback{"source": "goals/sales", "value": "up"}', "feedback", 1.0, "business"),
])
async def test_questions_and_commands_are_left_to_the_rules(plan_kb, text, intent, confidence, requested):
    slots = await read(text, intent, confidence, requested=requested, slots={"goals_done": True})
    assert requested not in slots and "goals_done" not in slots  # nothing filled: Rasa rejects the form


@pytest.mark.parametrize("text, intent, confidence, requested", [
    ("Sprzedajemy oprogramowanie księgowe", "out_of_scope", 0.95, "business"),
    ("zatrudnić księgową", "out_of_scope", 0.95, "goal"),
    ("thanks for the help with our long term brand", "thank", 0.87, "goal"),
    ("obniżyć koszty marketingu", "faq_difference_sales_marketing", 0.52, "goal"),
    ("-5", "affirm", 0.72, "budget"),
    ("$20,000", "replace_goal", 0.37, "budget"),
    ("about 50k dollars", "follow_up", 0.81, "budget"),
    ("this quarter", "cancel", 0.36, "horizon"),
    ("dużo", "goals_done", 0.5, "goal"),
])
async def test_answers_nlu_filed_elsewhere_are_taken(plan_kb, text, intent, confidence, requested):
    slots = await read(text, intent, confidence, requested=requested, slots={"goals_done": True}, language="en")
    assert slots == {requested: text}


@pytest.mark.parametrize("text, intent, confidence, language", [
    ("wyniki w najbliższych miesiącach", "ask_evaluation", 0.76, "pl"),  # the clarifying question's own button
    ("jak rynek postrzega firmę przez lata", "ask_goals", 0.9, "pl"),
    ("results in the coming months", "ask_evaluation", 0.8, "en"),
])
async def test_a_period_answers_the_clarifying_question_whatever_nlu_read(plan_kb, text, intent, confidence, language):
    pending = {"goals_done": True, "pending_goal": "rozwój firmy"}
    assert await read(text, intent, confidence, slots=pending, language=language) == {"goal": text}
    # without a goal waiting for clarification the same reading is a question for the rules
    assert await read(text, intent, confidence, slots={"goals_done": True}, language=language) == {}
    # and a question with "?" stays one (no period: nothing that answers the clarification)
    assert await read("jak mierzyć wyniki?", intent, confidence, slots=pending, language="pl") == {}


async def test_a_command_naming_a_goal_number_is_no_answer_to_the_clarifying_question(plan_kb):
    pending = {"goals_done": True, "pending_goal": "company growth"}
    assert await read("replace goal 1 with business development", "replace_goal", 0.65, slots=pending,
                      language="en") == {}
    assert await read("results in the next 6 months", "ask_evaluation", 0.8, slots=pending,
                      language="en") == {"goal": "results in the next 6 months"}


async def test_thats_all_at_the_goal_question_ends_the_goals(plan_kb):
    assert await read("that's all", "goals_done", 0.86, language="en") == {"goals_done": True}


def test_cutoffs():
    assert not is_answer("help", 0.44, "help", False)
    assert is_answer("cancel", 0.36, "this quarter", False)
    assert not is_answer("remove_goal", 0.94, "usuń cel 1", True)
    assert is_answer("remove_goal", 0.47, "$20,000", True)
    assert is_answer("ask_budget", 0.5, "obniżyć koszty marketingu", False)
    assert not is_answer("ask_budget", 0.5, "ile kosztuje marketing?", False)
    assert is_answer("follow_up", 0.95, "about 50k", True)
    assert is_answer("affirm", 0.9, "-5", False)
    assert is_answer("greet", 0.9, "🍕", False)


def _in_form_rule_intents() -> set:
    rules = [
        rule
        for path in sorted((PROJECT_DIR / "data" / "rules").glob("*.yml"))
        for rule in YAML(typ="safe").load(path.read_text(encoding="utf-8")).get("rules") or []
    ]
    return {
        step["intent"]
        for rule in rules
        if {"active_loop": "plan_form"} in (rule.get("condition") or [])
        for step in rule["steps"][:1]
        if "intent" in step
    }


def _domain_intents() -> set:
    intents = set()
    for path in (PROJECT_DIR / "bot" / "domain").glob("*.yml"):
        for intent in YAML(typ="safe").load(path.read_text(encoding="utf-8")).get("intents") or []:
            intents.add(intent if isinstance(intent, str) else next(iter(intent)))
    return intents


def test_every_intent_but_an_answer_has_an_in_form_rule():
    assert _domain_intents() - ANSWER_INTENTS <= _in_form_rule_intents()


def test_the_slot_mappings_send_plain_answers_to_the_form_and_the_rest_to_the_reader():
    for slot in ("business", "goal", "horizon", "budget"):
        text_mapping, custom_mapping = DOMAIN["slots"][slot]["mappings"]
        condition = [{"active_loop": "plan_form", "requested_slot": slot}]
        assert text_mapping["type"] == "from_text" and text_mapping["conditions"] == condition
        assert ANSWER_INTENTS | {"nlu_fallback"} <= set(text_mapping["intent"])
        assert custom_mapping == {"type": "custom", "action": "action_read_plan_answer",
                                  "not_intent": text_mapping["intent"], "conditions": condition}


# ---- the goal question --------------------------------------------------------------------


@pytest.mark.parametrize("slots, expected", [
    ({}, "utter_ask_first_goal"),
    ({"plan_goals": [goal("a", "sales")]}, "utter_ask_next_goal"),
    ({"pending_goal": "rozwój"}, "utter_clarify_goal"),
    ({"plan_goals": [goal("a", "sales")], "goal_to_replace": {"number": 1, "text": "a"}}, "utter_ask_replacement"),
])
async def test_goal_question_variants(plan_kb, dispatcher, slots, expected):
    assert await ActionAskGoal().run(dispatcher, tracker(slots=slots), DOMAIN) == []
    assert responses(dispatcher) == [expected]


def test_every_reply_exists_with_its_variables():
    from tests.plan_support import response_variables

    for name, variables in {
        "utter_goal_verdict": {"number", "goal", "plan_name", "reason"},
        "utter_goal_verdict_both": {"number", "goal", "reason"},
        "utter_goals_summary": {"count", "sales", "marketing", "both", "set_aside"},
        "utter_plan_input_too_long": {"length", "limit"},
        "utter_budget_unreadable": {"budget"},
        "utter_clarify_goal": {"goal"},
        "utter_ask_business": set(), "utter_ask_horizon": set(), "utter_ask_budget": set(),
    }.items():
        assert response_variables(name) == variables, name
    assert ps.MAX_TEXT_CHARS < 5000


# ---- Rasa's own slot filling on the real domain -------------------------------------------


@pytest.fixture(scope="module")
def rasa_domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_DIR / "bot" / "domain"))


async def _rasa_fills(rasa_domain, text: str, intent: str, requested: str) -> Dict[str, Any]:
    """The slots Rasa's action_extract_slots fills from a message while plan_form asks for
    `requested` (no action server: the custom mapping's call fails and fills nothing)."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [ActionExecuted("action_listen"), ActiveLoop("plan_form"), SlotSet("requested_slot", requested),
              ActionExecuted("action_listen"), UserUttered(text, {"name": intent, "confidence": 0.9})]
    rasa_tracker = DialogueStateTracker.from_events("mapping-test", events, rasa_domain.slots)
    filled: List[Any] = await ActionExtractSlots(None).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(rasa_domain.responses), rasa_tracker, rasa_domain)
    return {event.key: event.value for event in filled}


@pytest.mark.parametrize("text, intent, requested, expected", [
    ("zwiększyć sprzedaż o 15%", "state_goal", "goal", {"goal": "zwiększyć sprzedaż o 15%"}),
    ("nie wiem", "not_sure", "budget", {"budget": "nie wiem"}),
    ("-5", "nlu_fallback", "budget", {"budget": "-5"}),
    ("dużo", "goals_done", "horizon", {"horizon": "dużo"}),
    ("meble biurowe", "state_goal", "business", {"business": "meble biurowe"}),
    ("jaki budżet?", "ask_budget", "goal", {}),   # for action_read_plan_answer
    ("to wszystko", "goals_done", "goal", {}),    # for action_read_plan_answer
])
async def test_rasa_fills_the_asked_slot_from_a_plain_answer_only(rasa_domain, text, intent, requested, expected):
    assert await _rasa_fills(rasa_domain, text, intent, requested) == expected


async def test_a_goal_text_left_by_a_failed_turn_is_not_taken_as_a_goal(plan_kb):
    """The action server was down when Rasa filled `goal`: the validation never ran. The next
    message, a question, fills nothing, and the form asks for goals again."""
    t = tracker("jaki budżet?", "ask_budget", 0.97, requested="goal", fresh=False,
                latest_action="action_answer_question", slots={"goal": "zwiększyć sprzedaż"})
    events = await ValidatePlanForm().run(CollectingDispatcher(), t, DOMAIN)
    assert slot_events(events) == {"requested_slot": "goal"}
