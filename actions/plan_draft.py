"""The end of the plan form: draft the plan from the knowledge base, save it, present it."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation, plan_state as ps
from actions.knowledge_base import KnowledgeService, KnowledgeUnavailable, get_service
from knowledge.drafting import chat_text, plan_json
from knowledge.plans import StoredPlan


class ActionPresentDraft(Action):
    def name(self) -> Text:
        return "action_present_draft"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = conversation.language(tracker)
        goals = ps.GoalList.from_tracker(tracker)
        knowledge = get_service()
        try:
            body = knowledge.draft_plan(
                lang, tracker.get_slot(ps.BUSINESS), goals.goals, goals.set_aside,
                tracker.get_slot(ps.HORIZON), tracker.get_slot(ps.BUDGET),
            )
            knowledge.drafting()  # built now, so that rendering an unsaved draft below needs no new build
        except KnowledgeUnavailable:
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return ps.reset_events()
        stored, blocks = _save(knowledge, tracker.sender_id, lang, body)
        dispatcher.utter_message(response="utter_draft_intro")
        for block in blocks:
            dispatcher.utter_message(text=chat_text(block))
        _send_sources(dispatcher, body, lang)
        if stored is None:
            dispatcher.utter_message(json_message={"plan": body, "language": lang})
            dispatcher.utter_message(response="utter_plan_not_saved")
        else:
            dispatcher.utter_message(json_message={"plan": plan_json(stored), "language": lang})
            dispatcher.utter_message(response="utter_draft_saved", plan_id=stored.id)
        return ps.reset_events()


def _save(
    knowledge: KnowledgeService, user_id: str, lang: str, body: Dict[str, Any]
) -> Tuple[Optional[StoredPlan], List[str]]:
    """Save the plan and render it; when it cannot be saved, (None, the unsaved draft rendered)."""
    try:
        stored = knowledge.save_plan(user_id, lang, body)  # one transaction
        return stored, knowledge.render_saved(stored)
    except KnowledgeUnavailable:
        return None, knowledge.render_draft(body, lang)


def _send_sources(dispatcher: CollectingDispatcher, body: Dict[str, Any], lang: str) -> None:
    """The source payload of each knowledge-base entry the draft quotes."""
    for part in ("combining", "sales_component"):
        entry = body.get(part) or {}
        if entry.get("id"):
            source = {"id": entry["id"], "section": entry["section"]}
            dispatcher.utter_message(json_message=conversation.source_payload(source, lang))
