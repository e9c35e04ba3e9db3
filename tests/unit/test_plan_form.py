"""validate_plan_form and the form's questions: answers read, goals classified at once, one
clarifying question, bad input answered clearly, messages that are not answers left to rules."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from actions import plan_state as ps
from actions.plan_form import RULE_HANDLED_INTENTS, ValidatePlanForm, claimed_by_rule
from actions.plan_questions import ActionAskBudget, ActionAskGoal, ActionAskHorizon
from tests.plan_support import (  # noqa: F401 - fixtures
    DOMAIN, dispatcher, goal, json_messages, notice_json, notice_responses, plan_kb, responses, slot_events,
    tracker,
)
from tests.support import PROJECT_DIR


async def validate(t):
    from rasa_sdk.executor import CollectingDispatcher

    sent = CollectingDispatcher()
    events = await ValidatePlanForm().run(sent, t, DOMAIN)
    assert sent.messages == [], "the validation queues its replies; the next question sends them"
    return slot_events(events)


# ---- answers -----------------------------------------------------------------------------


async def test_business_answer_moves_on_to_goals(plan_kb):
    slots = await validate(tracker("sprzedajemy meble biurowe", "state_goal", 0.6, requested="business"))
    assert slots["business"] == "sprzedajemy meble biurowe"
    assert slots["requested_slot"] == "goal"


async def test_goal_is_classified_at_once_with_a_reason_and_custom_json(plan_kb):
    slots = await validate(tracker("zwiększyć sprzedaż o 15% w tym kwartale", requested="goal",
                                   slots={"business": "meble"}))
    assert slots["goal"] is None  # asked again: goals come one at a time
    assert [g["plan"] for g in slots["plan_goals"]] == ["sales"]
    assert slots["requested_slot"] == "goal"
    notices = slots["plan_notices"]
    assert notice_responses(notices) == ["utter_goal_verdict"]
    verdict = notices[0]["variables"]
    assert verdict["number"] == 1 and verdict["plan_name"] == "plan sprzedaży" and "sprzeda" in verdict["reason"]
    [payload] = notice_json(notices)
    assert payload["classification"]["goal"] == "zwiększyć sprzedaż o 15% w tym kwartale"
    assert payload["classification"]["plan"] == "sales"
    assert payload["classification"]["reasons"][0]["section"] == "2"


async def test_mixed_goal_goes_to_both_plans(plan_kb):
    slots = await validate(tracker("more sales this month and a stronger brand over three years",
                                   requested="goal", language="en"))
    assert slots["plan_goals"][0]["plan"] == "both"
    assert notice_responses(slots["plan_notices"]) == ["utter_goal_verdict_both"]


async def test_unclear_goal_gets_one_clarifying_question_then_a_verdict(plan_kb):
    first = await validate(tracker("rozwój firmy", requested="goal"))
    assert first["pending_goal"] == "rozwój firmy" and first["plan_goals"] is None
    assert notice_json(first["plan_notices"])[0]["classification"]["plan"] == "unclear"

    second = await validate(tracker("wyniki w najbliższych miesiącach", "out_of_scope", 0.6, requested="goal",
                                    slots={"pending_goal": "rozwój firmy"}))
    assert second["pending_goal"] is None
    [added] = second["plan_goals"]
    assert added == {**added, "text": "rozwój firmy", "plan": "sales",
                     "clarification": "wyniki w najbliższych miesiącach"}
    assert notice_json(second["plan_notices"])[0]["classification"]["goal"].startswith("rozwój firmy")


async def test_goal_still_unclear_after_the_question_is_set_aside(plan_kb):
    slots = await validate(tracker("jak rynek postrzega firmę przez lata", requested="goal",
                                   slots={"pending_goal": "ROI 20%"}))
    assert slots["pending_goal"] is None and slots["plan_goals"] is None
    assert slots["plan_set_aside"][0]["text"] == "ROI 20%"
    assert slots["plan_set_aside"][0]["reasons"][0]["plan"] == "outside"
    assert "utter_goal_set_aside" in notice_responses(slots["plan_notices"])


async def test_not_sure_as_the_answer_sets_the_goal_aside(plan_kb):
    slots = await validate(tracker("nie wiem", "not_sure", 0.95, requested="goal", slots={"pending_goal": "ROI 20%"}))
    assert [g["text"] for g in slots["plan_set_aside"]] == ["ROI 20%"]
    assert "clarification" not in slots["plan_set_aside"][0]


async def test_duplicate_goal_is_not_added_twice(plan_kb):
    existing = [goal("więcej zamówień w grudniu", "sales")]
    slots = await validate(tracker("Więcej zamówień  w grudniu", requested="goal", slots={"plan_goals": existing}))
    assert slots["plan_goals"] == existing
    assert notice_responses(slots["plan_notices"]) == ["utter_goal_duplicate"]


async def test_goals_done_needs_at_least_one_goal(plan_kb):
    slots = await validate(tracker("to wszystko", "goals_done", 0.97, requested="goal"))
    assert slots["goals_done"] is None and slots["requested_slot"] == "goal"
    assert notice_responses(slots["plan_notices"]) == ["utter_goals_needed"]


async def test_goals_done_moves_on_to_the_horizon(plan_kb):
    goals = [goal("a", "sales"), goal("b", "marketing"), goal("c", "both")]
    slots = await validate(tracker("to wszystko", "goals_done", 0.97, requested="goal", slots={"plan_goals": goals}))
    assert slots["goals_done"] is True and slots["requested_slot"] == "horizon"
    [summary] = slots["plan_notices"]
    assert summary["response"] == "utter_goals_summary"
    assert summary["variables"] == {"sales": 1, "marketing": 1, "both": 1, "count": 3, "set_aside": 0}


async def test_horizon_and_budget_complete_the_form(plan_kb):
    done = {"business": "meble", "plan_goals": [goal("a", "sales")], "goals_done": True}
    slots = await validate(tracker("3 lata", requested="horizon", slots=done))
    assert slots["horizon"] == {"text": "3 lata", "term": "long_term", "not_sure": False}
    assert slots["requested_slot"] == "budget"
    slots = await validate(tracker("50 tys. zł", "state_goal", 0.4, requested="budget",
                                   slots={**done, "horizon": {"text": "3 lata"}}))
    assert slots["budget"] == {"text": "50 tys. zł", "amount": 50000.0, "currency": "PLN", "not_sure": False}
    assert slots["requested_slot"] is None  # the form is complete


async def test_budget_not_sure(plan_kb):
    slots = await validate(tracker("nie wiem", "not_sure", 0.95, requested="budget", slots={"goals_done": True}))
    assert slots["budget"]["not_sure"] is True


# ---- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, response", [
    ("x" * 5000, "utter_plan_input_too_long"),
    ("", "utter_plan_input_empty"),
    ("   ", "utter_plan_input_empty"),
    ("🚀🚀🚀", "utter_plan_input_empty"),
])
async def test_bad_goals_get_a_clear_reply_and_the_form_goes_on(plan_kb, text, response):
    slots = await validate(tracker(text, "state_goal", 0.5, requested="goal"))
    assert notice_responses(slots["plan_notices"]) == [response]
    assert slots["plan_goals"] is None and slots["requested_slot"] == "goal"


@pytest.mark.parametrize("text, intent, response", [
    ("-5", "affirm", "utter_budget_not_positive"),
    ("0 zł", "state_goal", "utter_budget_not_positive"),
    ("dużo", "goals_done", "utter_budget_unreadable"),  # NLU reads "dużo" as "that's all" (0.72)
    ("1e9", "affirm", "utter_budget_unreadable"),
    ("3 lata", "state_goal", "utter_budget_unreadable"),
    ("💰💰", "affirm", "utter_plan_input_empty"),
])
async def test_bad_budgets_get_a_clear_reply_and_the_budget_is_asked_again(plan_kb, text, intent, response):
    slots = await validate(tracker(text, intent, 0.72, requested="budget", slots={"goals_done": True}))
    assert notice_responses(slots["plan_notices"]) == [response]
    assert slots["budget"] is None and slots["requested_slot"] == "budget"


async def test_horizon_without_a_time_is_asked_again(plan_kb):
    slots = await validate(tracker("dużo", "goals_done", 0.72, requested="horizon", slots={"goals_done": True}))
    assert notice_responses(slots["plan_notices"]) == ["utter_horizon_unreadable"]
    assert slots["requested_slot"] == "horizon"
    slots = await validate(tracker("rok", "affirm", 0.43, requested="horizon", slots={"goals_done": True}))
    assert slots["horizon"]["text"] == "rok"


async def test_goal_in_the_other_language_is_taken_and_the_plan_keeps_its_language(plan_kb):
    t = tracker("increase sales by 10% next month", requested="goal", slots={"plan_language": "pl"}, language="en")
    slots = await validate(t)
    assert slots["language"] == "pl"  # back to the plan's language before the next question
    assert notice_responses(slots["plan_notices"]) == ["utter_plan_input_other_language", "utter_goal_verdict"]
    assert slots["plan_notices"][1]["variables"]["plan_name"] == "plan sprzedaży"
    assert slots["plan_goals"][0]["plan"] == "sales"
    assert "plan_language" not in slots


async def test_a_question_in_the_other_language_switches_the_plan_language(plan_kb):
    t = tracker("what tools does a sales plan use?", "ask_tools", 1.0, requested="goal", fresh=False,
                latest_action="action_answer_question", slots={"plan_language": "pl"}, language="en")
    slots = await validate(t)
    assert slots.get("plan_language") == "en"


# ---- messages that are not answers --------------------------------------------------------


@pytest.mark.parametrize("text, intent, confidence", [
    ("jaki budżet ma plan marketingowy?", "ask_budget", 0.97),
    ("a dla marketingu?", "follow_up", 1.0),
    ("anuluj", "cancel", 0.97),
    ("usuń cel 2", "remove_goal", 1.0),
    ("pokaż mój plan", "show_plan", 1.0),
    ("chcę porozmawiać z człowiekiem", "ask_human", 0.9),
    ('/feedback{"source": "budget/sales", "value": "up"}', "feedback", 1.0),
])
async def test_questions_and_commands_are_left_to_the_rules(plan_kb, text, intent, confidence):
    slots = await validate(tracker(text, intent, confidence, requested="goal"))
    assert set(slots) <= {"requested_slot"}  # nothing extracted: Rasa rejects the form, a rule answers


@pytest.mark.parametrize("requested", ["business", "goal", "horizon", "budget"])
async def test_a_vote_on_an_answer_is_never_the_answer(plan_kb, requested):
    vote = '/feedback{"source": "budget/sales", "value": "down", "comment": "50 000 zł, 3 lata"}'
    slots = await validate(tracker(vote, "feedback", 1.0, requested=requested))
    assert set(slots) <= {"requested_slot"}  # nothing taken, no goal changed: the rules thank for it


async def test_an_amount_is_a_budget_even_when_nlu_guesses_otherwise(plan_kb):
    slots = await validate(tracker("about 50k dollars", "follow_up", 0.9, requested="budget",
                                   slots={"goals_done": True}, language="en"))
    assert slots["budget"]["amount"] == 50000.0 and slots["budget"]["currency"] == "USD"


async def test_after_a_rule_answered_the_message_is_not_taken_as_the_answer(plan_kb):
    slots = await validate(tracker("jaki budżet ma plan marketingowy?", "ask_budget", 0.97, requested="goal",
                                   fresh=False, latest_action="action_answer_question"))
    assert "goal" not in slots and slots["requested_slot"] == "goal"


def test_every_intent_left_to_the_rules_has_an_in_form_rule():
    rules = [
        rule
        for path in sorted((PROJECT_DIR / "data" / "rules").glob("*.yml"))
        for rule in YAML(typ="safe").load(path.read_text())["rules"]
    ]
    in_form = {
        step["intent"]
        for rule in rules
        if {"active_loop": "plan_form"} in (rule.get("condition") or [])
        for step in rule["steps"][:1]
        if "intent" in step
    }
    assert set(RULE_HANDLED_INTENTS) <= in_form


def test_confidence_thresholds():
    assert claimed_by_rule("goal", "help", 0.44, "help", False)
    assert not claimed_by_rule("business", "out_of_scope", 0.95, "Sprzedajemy oprogramowanie księgowe", False)
    assert not claimed_by_rule("goal", "out_of_scope", 0.95, "zatrudnić księgową", False)
    assert claimed_by_rule("goal", "out_of_scope", 0.6, "jaka jutro pogoda?", False)
    assert not claimed_by_rule("goal", "thank", 0.75, "thanks for the help with our long term brand", False)
    assert claimed_by_rule("goal", "cancel", 0.9, "stop", False)
    assert not claimed_by_rule("budget", "remove_goal", 0.47, "$20,000", True)
    assert not claimed_by_rule("goal", "ask_budget", 0.5, "obniżyć koszty marketingu", False)
    assert claimed_by_rule("goal", "ask_budget", 0.5, "ile kosztuje marketing?", False)
    assert not claimed_by_rule("budget", "follow_up", 0.95, "about 50k", True)


# ---- the questions ------------------------------------------------------------------------


async def test_the_next_question_first_sends_the_queued_replies(plan_kb, dispatcher):
    payload = {"classification": {"goal": "a", "plan": "sales", "reasons": []}}
    notices = [{"response": "utter_goal_verdict", "variables": {"number": 1}}, {"json": payload}]
    events = await ActionAskGoal().run(dispatcher, tracker(slots={"plan_notices": notices, "plan_goals": [goal("a", "sales")]}), DOMAIN)
    assert responses(dispatcher) == ["utter_goal_verdict", "utter_ask_next_goal"]
    assert json_messages(dispatcher) == [payload]
    assert slot_events(events) == {"plan_notices": None}


@pytest.mark.parametrize("slots, expected", [
    ({}, "utter_ask_first_goal"),
    ({"pending_goal": "rozwój"}, "utter_clarify_goal"),
    ({"plan_goals": [goal("a", "sales")], "goal_to_replace": {"number": 1, "text": "a"}}, "utter_ask_replacement"),
])
async def test_goal_question_variants(plan_kb, dispatcher, slots, expected):
    await ActionAskGoal().run(dispatcher, tracker(slots=slots), DOMAIN)
    assert responses(dispatcher) == [expected]


async def test_horizon_and_budget_questions(plan_kb, dispatcher):
    await ActionAskHorizon().run(dispatcher, tracker(), DOMAIN)
    await ActionAskBudget().run(dispatcher, tracker(), DOMAIN)
    assert responses(dispatcher) == ["utter_ask_horizon", "utter_ask_budget"]


def test_every_queued_response_exists_with_its_variables():
    from tests.plan_support import response_variables

    for name, variables in {
        "utter_goal_verdict": {"number", "goal", "plan_name", "reason"},
        "utter_goal_verdict_both": {"number", "goal", "reason"},
        "utter_goals_summary": {"count", "sales", "marketing", "both", "set_aside"},
        "utter_plan_input_too_long": {"length", "limit"},
        "utter_budget_unreadable": {"budget"},
        "utter_clarify_goal": {"goal"},
    }.items():
        assert response_variables(name) == variables, name
    assert ps.MAX_TEXT_CHARS < 5000


@pytest.mark.parametrize("text, lang, kept", [
    ("replace goal 1 with double revenue this quarter", "en", ["double revenue this quarter", "b"]),
    ("usuń cel 2", "pl", ["a"]),
])
async def test_a_plain_goal_command_nlu_missed_is_carried_out(plan_kb, text, lang, kept):
    goals = [goal("a", "sales"), goal("b", "marketing")]
    slots = await validate(tracker(text, "state_goal", 0.58, requested="goal", slots={"plan_goals": goals},
                                   language=lang))
    assert [g["text"] for g in slots["plan_goals"]] == kept
    assert slots["requested_slot"] == "goal" and "goal" not in slots


async def test_a_number_in_a_goal_is_not_a_command(plan_kb):
    goals = [goal("a", "sales"), goal("b", "marketing")]
    slots = await validate(tracker("zmienić wizerunek firmy w 2 lata", requested="goal", slots={"plan_goals": goals}))
    assert len(slots["plan_goals"]) == 3


async def test_a_goal_number_in_the_budget_answer_is_not_an_amount(plan_kb):
    slots = await validate(tracker("replace goal 1 with double revenue this quarter", "state_goal", 0.58,
                                   requested="budget", language="en"))
    assert slots["plan_goals"][0]["text"] == "double revenue this quarter"
    assert slots["requested_slot"] == "budget" and "budget" not in slots
