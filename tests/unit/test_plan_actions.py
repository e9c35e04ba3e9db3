"""The plan actions outside validation: start, cancel, remove and replace a goal, the draft
(saved in one transaction), show my plan (also after a restart) and export."""

from __future__ import annotations

from actions import plan_state as ps
from actions.knowledge_base import clear_caches, get_service
from actions.plan_draft import ActionPresentDraft
from actions.plan_export import ActionExportPlan
from actions.plan_goals import ActionClassifyGoal, ActionRemoveGoal, ActionReplaceGoal
from actions.plan_show import ActionShowPlan
from actions.plan_start import ActionCancelPlan, ActionStartPlan
from tests.plan_support import (  # noqa: F401 - fixtures
    DOMAIN, dispatcher, goal, json_messages, new_user, plan_kb, responses, slot_events, texts, tracker,
)

GOALS = [goal("zwiększyć sprzedaż o 15%", "sales"), goal("rozpoznawalność marki w 3 lata", "marketing"),
         goal("lojalność klientów", "marketing")]


def finished_plan(sender: str, lang: str = "pl"):
    """A tracker right after the form's last answer."""
    aside = [{"text": "ROI 20%", "reasons": [{"signal": "return_on_investment", "plan": "outside", "section": "intro",
                                               "text": "ROI is outside both plans."}]}]
    slots = {
        "business": "meble biurowe" if lang == "pl" else "office furniture",
        "plan_goals": GOALS + [goal("więcej sprzedaży i silniejsza marka", "both")],
        "plan_set_aside": aside,
        "goals_done": True,
        "horizon": {"text": "3 lata", "term": "long_term", "not_sure": False},
        "budget": {"text": "50 tys. zł", "amount": 50000.0, "currency": "PLN", "not_sure": False},
    }
    return tracker("50 tys. zł", slots=slots, in_form=False, sender=sender, latest_action="plan_form", language=lang)


# ---- start and cancel ---------------------------------------------------------------------


async def test_start_resets_the_plan_and_keeps_the_language(plan_kb, dispatcher):
    events = await ActionStartPlan().run(dispatcher, tracker("help me build a plan", "start_plan", in_form=False,
                                                             language="en"), DOMAIN)
    slots = slot_events(events)
    assert all(slots[name] is None for name in ps.PLAN_SLOTS)
    assert responses(dispatcher) == ["utter_plan_intro"]


async def test_start_again_in_the_middle(plan_kb, dispatcher):
    await ActionStartPlan().run(dispatcher, tracker("zacznijmy od nowa", "start_plan", slots={"plan_goals": GOALS}),
                                DOMAIN)
    assert responses(dispatcher) == ["utter_plan_restarted"]


async def test_cancel_in_the_middle_saves_nothing(plan_kb, dispatcher):
    sender = new_user()
    t = tracker("anuluj", "cancel", slots={"plan_goals": GOALS}, in_form=False, sender=sender,
                latest_action="action_deactivate_loop")
    events = await ActionCancelPlan().run(dispatcher, t, DOMAIN)
    assert responses(dispatcher) == ["utter_plan_cancelled"]
    assert slot_events(events)["plan_goals"] is None
    assert get_service().latest_plan(sender) is None


async def test_cancel_with_nothing_in_progress(plan_kb, dispatcher):
    events = await ActionCancelPlan().run(dispatcher, tracker("stop", "cancel", in_form=False), DOMAIN)
    assert responses(dispatcher) == ["utter_nothing_to_cancel"] and events == []


# ---- remove and replace -------------------------------------------------------------------


async def test_remove_a_goal_by_number(plan_kb, dispatcher):
    t = tracker("usuń drugi cel", "remove_goal", 1.0, slots={"plan_goals": GOALS, "business": "meble biurowe"}, fresh=False,
                latest_action="action_remove_goal")
    events = await ActionRemoveGoal().run(dispatcher, t, DOMAIN)
    assert [g["text"] for g in slot_events(events)["plan_goals"]] == ["zwiększyć sprzedaż o 15%", "lojalność klientów"]
    assert responses(dispatcher) == ["utter_goal_removed"]
    assert dispatcher.messages[0]["number"] == 2
    assert "1. **zwiększyć sprzedaż o 15%**" in texts(dispatcher)[0]  # the renumbered list
    assert "meble biurowe" in texts(dispatcher)[0]


async def test_remove_a_goal_by_its_words(plan_kb, dispatcher):
    t = tracker("usuń cel o lojalności", "remove_goal", 1.0, slots={"plan_goals": GOALS})
    events = await ActionRemoveGoal().run(dispatcher, t, DOMAIN)
    assert len(slot_events(events)["plan_goals"]) == 2 and dispatcher.messages[0]["goal"] == "lojalność klientów"


async def test_remove_the_last_goal_asks_for_goals_again(plan_kb, dispatcher):
    t = tracker("remove the last goal", "remove_goal", 1.0, slots={"plan_goals": GOALS[:1], "goals_done": True},
                language="en")
    events = await ActionRemoveGoal().run(dispatcher, t, DOMAIN)
    assert slot_events(events)["plan_goals"] is None and slot_events(events)["goals_done"] is None


async def test_remove_a_goal_that_does_not_exist(plan_kb, dispatcher):
    events = await ActionRemoveGoal().run(dispatcher, tracker("usuń cel 7", "remove_goal", 1.0,
                                                              slots={"plan_goals": GOALS}), DOMAIN)
    assert events == [] and responses(dispatcher) == ["utter_no_such_goal"]
    assert dispatcher.messages[0]["number"] == 7 and dispatcher.messages[0]["count"] == 3


async def test_remove_outside_a_plan(plan_kb, dispatcher):
    await ActionRemoveGoal().run(dispatcher, tracker("usuń cel 2", "remove_goal", in_form=False), DOMAIN)
    assert responses(dispatcher) == ["utter_no_plan_in_progress"]


async def test_replace_a_goal_classifies_the_new_text_at_once(plan_kb, dispatcher):
    t = tracker("zamień cel 1 na budowa rozpoznawalności marki w ciągu 3 lat", "replace_goal", 1.0,
                slots={"plan_goals": GOALS})
    events = await ActionReplaceGoal().run(dispatcher, t, DOMAIN)
    goals = slot_events(events)["plan_goals"]
    assert goals[0]["text"] == "budowa rozpoznawalności marki w ciągu 3 lat" and goals[0]["plan"] == "marketing"
    assert len(goals) == 3 and slot_events(events)["goal_to_replace"] is None
    assert responses(dispatcher) == ["utter_goal_replaced", "utter_goal_verdict"]
    assert json_messages(dispatcher)[0]["classification"]["plan"] == "marketing"


async def test_replace_without_the_new_text_asks_for_it(plan_kb, dispatcher):
    events = await ActionReplaceGoal().run(dispatcher, tracker("edit goal 2", "replace_goal", 1.0, language="en",
                                                               slots={"plan_goals": GOALS}), DOMAIN)
    assert slot_events(events)["goal_to_replace"] == {"number": 2, "text": "rozpoznawalność marki w 3 lata"}
    assert dispatcher.messages == []  # the form's next question asks for the new text


async def test_single_goal_outside_the_plan(plan_kb, dispatcher):
    await ActionClassifyGoal().run(dispatcher, tracker("improve customer loyalty", in_form=False, language="en"),
                                   DOMAIN)
    assert responses(dispatcher) == ["utter_single_goal_verdict", "utter_offer_plan"]
    assert dispatcher.messages[0]["plan_name"] == "marketing plan"
    assert json_messages(dispatcher)[0]["classification"]["plan"] == "marketing"


# ---- the draft, show and export -----------------------------------------------------------


async def test_draft_is_saved_presented_and_the_plan_forgotten(plan_kb, dispatcher):
    sender = new_user()
    events = await ActionPresentDraft().run(dispatcher, finished_plan(sender), DOMAIN)
    saved = get_service().latest_plan(sender)
    assert saved is not None and saved.language == "pl"
    assert [g["text"] for g in saved.body["goals"]][:3] == [g["text"] for g in GOALS]
    assert responses(dispatcher) == ["utter_draft_intro", "utter_draft_saved"]
    shown = "\n".join(texts(dispatcher))
    for heading in ("# Plan: meble biurowe", "## Plan sprzedaży", "## Plan marketingowy", "**Cele**",
                    "**Horyzont:**", "**Narzędzia i taktyki:**", "**Odpowiedzialny zespół:**", "**Budżet:**",
                    "**Ocena efektów:**", "## Jak plany działają razem", "## Sprzedaż w planie marketingowym",
                    "## Cele odłożone na bok", "ROI 20%"):
        assert heading in shown, heading
    assert all("\n\n" not in text for text in texts(dispatcher))  # one chat bubble per block
    payloads = json_messages(dispatcher)
    assert {"source": {"id": "combining/both", "section": "8"}, "language": "pl"} in payloads
    assert {"source": {"id": "faq/marketing_plan_includes_sales", "section": "faq2"}, "language": "pl"} in payloads
    plan = next(p["plan"] for p in payloads if "plan" in p)
    assert plan["id"] == saved.id and [p["id"] for p in plan["plans"]] == ["sales", "marketing"]
    assert dispatcher.messages[-1]["plan_id"] == saved.id
    assert all(value is None for value in slot_events(events).values())


async def test_show_my_plan_after_a_restart(loaded_kb, dispatcher):
    """On the real (SQLite) database: a saved plan outlives the process."""
    from rasa_sdk.executor import CollectingDispatcher

    sender = new_user()
    await ActionPresentDraft().run(CollectingDispatcher(), finished_plan(sender, "en"), DOMAIN)
    clear_caches()  # a new action server process: new engine, repository and store
    await ActionShowPlan().run(dispatcher, tracker("show my plan", "show_plan", in_form=False, sender=sender,
                                                   language="en"), DOMAIN)
    assert responses(dispatcher) == ["utter_show_plan_intro"]
    shown = "\n".join(texts(dispatcher))
    assert "## Sales plan" in shown and "## Marketing plan" in shown and "**Tools and tactics:**" in shown
    assert json_messages(dispatcher)[-1]["plan"]["business"] == "office furniture"


async def test_show_my_plan_while_building_lists_the_goals_so_far(plan_kb, dispatcher):
    await ActionShowPlan().run(dispatcher, tracker("pokaż mój plan", "show_plan", slots={"plan_goals": GOALS,
                                                                                          "pending_goal": "rozwój"}),
                               DOMAIN)
    [text] = texts(dispatcher)
    assert "1. **zwiększyć sprzedaż o 15%** → plan sprzedaży" in text
    assert "rozwój → czeka na doprecyzowanie" in text


async def test_show_my_plan_without_any(plan_kb, dispatcher):
    await ActionShowPlan().run(dispatcher, tracker("pokaż mój plan", "show_plan", in_form=False, sender=new_user()),
                               DOMAIN)
    assert responses(dispatcher) == ["utter_no_saved_plan"]


async def test_export_gives_markdown_and_the_document_to_download(plan_kb, dispatcher):
    from rasa_sdk.executor import CollectingDispatcher

    sender = new_user()
    await ActionPresentDraft().run(CollectingDispatcher(), finished_plan(sender), DOMAIN)
    await ActionExportPlan().run(dispatcher, tracker("eksportuj plan", "export_plan", in_form=False, sender=sender),
                                 DOMAIN)
    assert responses(dispatcher) == ["utter_export_intro"]
    [payload] = json_messages(dispatcher)  # checked against the export contract
    assert set(payload) == {"export", "language"} and payload["language"] == "pl"
    assert payload["export"]["format"] == "md"
    assert payload["export"]["filename"] == f"plan-{get_service().latest_plan(sender).id}.md"
    assert texts(dispatcher)[0].startswith("# Plan: meble biurowe\n")
    assert "## Plan sprzedaży" in texts(dispatcher)[0]
    assert payload["export"]["content"].startswith("# Plan: meble biurowe\n")
    assert "## Plan sprzedaży" in payload["export"]["content"]


async def test_export_before_the_plan_is_finished(plan_kb, dispatcher):
    await ActionExportPlan().run(dispatcher, tracker("eksportuj plan", "export_plan"), DOMAIN)
    assert responses(dispatcher) == ["utter_export_after_finish"]


async def test_an_unclear_replacement_while_a_goal_waits_keeps_the_goal_it_replaces(plan_kb, dispatcher):
    t = tracker("zamień cel 1 na rozwój firmy", "replace_goal", 1.0,
                slots={"plan_goals": GOALS, "pending_goal": "rozwój"})
    events = await ActionReplaceGoal().run(dispatcher, t, DOMAIN)
    slots = slot_events(events)
    # the waiting goal is set aside; goal 1 stays until the new text's clarifying question is answered
    assert slots["plan_set_aside"][0]["text"] == "rozwój"
    assert [g["text"] for g in slots.get("plan_goals") or GOALS] == [g["text"] for g in GOALS]
    assert slots["pending_goal"] == "rozwój firmy"
    assert slots["goal_to_replace"] == {"number": 1, "text": "zwiększyć sprzedaż o 15%"}
    assert "utter_goal_set_aside" in responses(dispatcher)
