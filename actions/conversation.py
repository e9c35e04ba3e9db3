"""What the actions read from the tracker: language, entities, intent."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.services import message_limit
from knowledge import LANGUAGES

# The intents that name a knowledge-base entry: `ask_<aspect>` and `faq_<id>`.
ASPECT_INTENT_PREFIX = "ask_"
FAQ_INTENT_PREFIX = "faq_"
FEEDBACK_INTENT = "feedback"
"""A vote on an answer (`/feedback{...}`, bot/domain/feedback.yml): neither a question nor an answer."""


def language(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else "pl"


def intent_name(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    """Distinct values of `entity` in the latest message, in the order they appear."""
    values: List[str] = []
    for item in tracker.latest_message.get("entities") or []:
        value = item.get("value")
        if item.get("entity") == entity and value not in values:
            values.append(value)
    return values


def message_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def is_too_long(tracker: Tracker) -> bool:
    return len(message_text(tracker)) > message_limit()


def source_payload(source: Optional[Dict[str, str]], lang: str) -> Dict[str, Any]:
    """The custom JSON sent with every answer (ARCHITECTURE.md, "Contracts")."""
    if source is None:
        return {"source": None, "fallback": True, "language": lang}
    return {"source": source, "language": lang}
