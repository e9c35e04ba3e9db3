"""The knowledge-base topics a message most likely meant, as buttons: for the did-you-mean reply
and for a decline of a message that uses the guide's words.

Each button names a topic (an aspect of the plans, or a frequently asked question) and sends its
intent with the entities that select the entry, so that a click is answered like the question.
"""

from __future__ import annotations

import json
from typing import Dict, List

from rasa_sdk import Tracker

from actions import conversation
from actions.conversation import ASPECT_INTENT_PREFIX, FAQ_INTENT_PREFIX
from actions.knowledge_base import get_service

MAX_SUGGESTIONS = 3
# Intents below this confidence are not worth suggesting.
MIN_SUGGESTION_CONFIDENCE = 0.05


def suggestions(tracker: Tracker, lang: str) -> List[Dict[str, str]]:
    """Up to MAX_SUGGESTIONS buttons from the latest message's intent ranking, best first.
    Raises KnowledgeUnavailable when the knowledge base cannot be read."""
    knowledge = get_service()
    titles = {topic.aspect: topic.title for topic in knowledge.topics(lang)}
    plans = conversation.entity_values(tracker, "plan")
    buttons: List[Dict[str, str]] = []
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        name, confidence = ranked.get("name") or "", ranked.get("confidence") or 0.0
        if len(buttons) == MAX_SUGGESTIONS or confidence < MIN_SUGGESTION_CONFIDENCE:
            break
        if name.startswith(ASPECT_INTENT_PREFIX):
            aspect = name[len(ASPECT_INTENT_PREFIX):]
            title = titles.get(aspect)
            # the button names a topic, so it must not inherit the plan of an earlier answer
            entities = {"aspect": aspect, "plan": plans[0] if len(plans) == 1 else "both"}
        elif name.startswith(FAQ_INTENT_PREFIX):
            faq = knowledge.faq(name[len(FAQ_INTENT_PREFIX):], lang)
            title = faq.question if faq else None
            entities = {}
        else:
            continue
        if title:
            buttons.append({"title": title, "payload": button_payload(name, entities)})
    return buttons


def button_payload(intent: str, entities: Dict[str, str]) -> str:
    """The message a button sends: `/<intent>` with its entities as compact JSON (Rasa's shortcut)."""
    return f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")
