""""Eksportuj plan" / "export my plan": the latest saved plan as Markdown in chat, and as custom JSON
with the Markdown document to download (`knowledge.contracts.ExportPayload`; the widget shows a
download button for it)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import plan_state as ps
from actions.knowledge_base import KnowledgeUnavailable, get_service
from knowledge.drafting import chat_text, markdown_document


class ActionExportPlan(Action):
    def name(self) -> Text:
        return "action_export_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if ps.in_progress(tracker):
            dispatcher.utter_message(response="utter_export_after_finish")
            return []
        try:
            stored = get_service().latest_plan(tracker.sender_id)
            if stored is None:
                dispatcher.utter_message(response="utter_no_saved_plan")
                return []
            document = markdown_document(get_service().render_saved(stored))
        except KnowledgeUnavailable:
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        dispatcher.utter_message(response="utter_export_intro", plan_id=stored.id)
        dispatcher.utter_message(text=chat_text(document))
        dispatcher.utter_message(json_message={
            "export": {"format": "md", "filename": f"plan-{stored.id}.md", "content": document},
            "language": stored.language,
        })
        return []
