"""Declines and the hand-off to a person: on request, or after two declines in a row.

The contact is `ADVISOR_CONTACT` (bot/settings.py), per language or one for all; the texts are
the responses of bot/domain/handoff.yml, which get the contact as response variables. With no
contact configured the assistant says so instead of making one up.

A *decline* is a turn whose replies carry the fallback payload (`{"source": null, "fallback":
true}`, ARCHITECTURE.md "Contracts"): an off-topic question declined, a message not understood
(did-you-mean or "I didn't get that"). A vote on an answer (intent `feedback`) is neither a
decline nor an answer: it is skipped when counting. A turn that already offered the hand-off
starts the count again, so the offer does not repeat on every later decline.

A hand-off on request is not answered from the guide either: it sends the fallback payload with
`"handoff": true`. The offer after two declines adds no payload (the decline has sent one).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import conversation
from actions.knowledge_base import KnowledgeUnavailable
from actions.suggestions import suggestions
from bot.services import check_settings, handoff_contact

# Read once at start: a wrong ADVISOR_CONTACT stops the action server with the variable's name
# instead of failing every action later (the contact itself is read again at each offer).
check_settings()

DECLINES_BEFORE_HANDOFF = 2
HANDOFF_RESPONSES = ("utter_handoff", "utter_handoff_after_declines", "utter_handoff_unconfigured")


def _turns_newest_first(events: List[Dict[str, Any]]) -> Iterable[tuple]:
    """(user event, bot events after it) for each user turn, newest first."""
    bot_events: List[Dict[str, Any]] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "bot":
            bot_events.append(event)
        elif kind == "user":
            yield event, bot_events
            bot_events = []
        elif kind == "session_started":
            return


def _is_fallback(bot_event: Dict[str, Any]) -> bool:
    custom = (bot_event.get("data") or {}).get("custom")
    return isinstance(custom, dict) and custom.get("fallback") is True


def _offered_handoff(bot_event: Dict[str, Any]) -> bool:
    return (bot_event.get("metadata") or {}).get("utter_action") in HANDOFF_RESPONSES


def declines_before(events: List[Dict[str, Any]]) -> int:
    """How many turns in a row before the current one the assistant declined (votes skipped)."""
    count = 0
    turns = _turns_newest_first(events)
    next(turns, None)  # the current turn, still being answered
    for user, bot_events in turns:
        if ((user.get("parse_data") or {}).get("intent") or {}).get("name") == conversation.FEEDBACK_INTENT:
            continue
        if any(_offered_handoff(event) for event in bot_events):
            break
        if not any(_is_fallback(event) for event in bot_events):
            break
        count += 1
    return count


def offer_contact(dispatcher: CollectingDispatcher, lang: str, response: str) -> None:
    link = handoff_contact(lang)
    if link is None:
        dispatcher.utter_message(response="utter_handoff_unconfigured")
        return
    shown = link[len("mailto:"):] if link.startswith("mailto:") else link
    dispatcher.utter_message(response=response, contact=shown, contact_link=link)


def after_decline(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Call once the current turn has declined: offers a person when it is the second in a row."""
    if declines_before(tracker.events) + 1 >= DECLINES_BEFORE_HANDOFF:
        offer_contact(dispatcher, conversation.language(tracker), "utter_handoff_after_declines")


class ActionDecline(Action):
    """A question outside the guide: the polite decline, and a person on the second in a row.

    When the message uses the guide's words for an aspect of the plans (an `aspect` entity), the
    decline carries the topics it most likely meant as buttons (actions/suggestions.py): a real
    question the classifier could not place ("Kto jest za co odpowiedzialny?") is one click from
    its answer, and a near miss ("What is synergy and how is it created by IMC?") is still declined,
    with the nearest topics of the guide beside it."""

    def name(self) -> Text:
        return "action_decline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons: List[Dict[str, str]] = []
        if conversation.entity_values(tracker, "aspect"):
            try:
                buttons = suggestions(tracker, conversation.language(tracker))
            except KnowledgeUnavailable:  # the decline itself needs no knowledge base
                pass
        dispatcher.utter_message(response="utter_decline", buttons=buttons)
        after_decline(dispatcher, tracker)
        return []


class ActionOfferHandoff(Action):
    """The user asked for a person ("talk to a human", "chcę porozmawiać z człowiekiem")."""

    def name(self) -> Text:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lang = conversation.language(tracker)
        offer_contact(dispatcher, lang, "utter_handoff")
        # not answered from the guide: the fallback payload (ARCHITECTURE.md "Contracts"), marked
        # as a hand-off so that a report can tell it from a decline
        dispatcher.utter_message(json_message={**conversation.source_payload(None, lang), "handoff": True})
        return []
