"""A vote on an answer: thank for it, or say plainly that it could not be read.

The vote itself is the user message `/feedback{"source": ..., "value": "up"|"down", "comment": ...}`
(bot/domain/feedback.yml); Rasa keeps it in the tracker store as that UserUttered event, which is
the only record. This action stores nothing and sets nothing: it checks the payload, so that a
malformed vote (a value other than up/down, no answer id) gets a clear reply instead of thanks.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

VALUES = ("up", "down")
# `<aspect>/<plan>` or `faq/<id>` (ARCHITECTURE.md, "Contracts")
ANSWER_ID = re.compile(r"^[a-z0-9_]{1,64}/[a-z0-9_]{1,64}$")
MAX_COMMENT_CHARS = 1000


def _entity(tracker: Tracker, name: str) -> Optional[Any]:
    values = [item.get("value") for item in tracker.latest_message.get("entities") or [] if item.get("entity") == name]
    return values[-1] if values else None


def vote_problem(source: Any, value: Any, comment: Any) -> Optional[str]:
    """Why the vote cannot be counted, or None when it can."""
    if value not in VALUES:
        return "value must be up or down"
    if not isinstance(source, str) or not ANSWER_ID.match(source):
        return "source must be an answer id such as budget/marketing or faq/<id>"
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS):
        return f"comment must be text of at most {MAX_COMMENT_CHARS} characters"
    return None


class ActionFeedback(Action):
    def name(self) -> Text:
        return "action_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        problem = vote_problem(_entity(tracker, "source"), _entity(tracker, "value"), _entity(tracker, "comment"))
        dispatcher.utter_message(response="utter_feedback_invalid" if problem else "utter_feedback_thanks")
        return []
