"""A conversation's earlier messages, shaped like the REST channel's replies.

The widget calls this after a page reload to show what the employee and the assistant said.
Bot messages keep the keys the REST channel uses (`text`, `buttons`, `custom`, `image`,
`attachment`), so the widget renders history and fresh replies with the same code; each
message also says who spoke (`role`: "user" | "bot").
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from rasa.shared.core.events import BotUttered, Event, UserUttered

# Metadata key under which the channel keeps what the employee saw themselves send (a quick
# reply's title) when the text that reached the assistant was the button's payload.
DISPLAY_TEXT_KEY = "display_text"

_BOT_KEYS = ("text", "buttons", "custom", "image", "attachment")


def conversation_messages(events: Iterable[Event], limit: int) -> List[Dict[str, Any]]:
    """The last `limit` user and bot messages among `events`, oldest first."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        message = _message(event)
        if message is not None:
            messages.append(message)
    return messages[-limit:] if limit > 0 else []


def is_message(event: Event) -> bool:
    """Whether `event` is a message the widget shows."""
    return _message(event) is not None


def _message(event: Event) -> Optional[Dict[str, Any]]:
    if isinstance(event, UserUttered):
        return _user_message(event)
    if isinstance(event, BotUttered):
        return _bot_message(event)
    return None


def _user_message(event: UserUttered) -> Optional[Dict[str, Any]]:
    display = (event.metadata or {}).get(DISPLAY_TEXT_KEY)
    if isinstance(display, str) and display.strip():
        text = display
    elif event.text and not event.text.startswith("/"):
        text = event.text
    else:
        return None  # an intent triggered without words (e.g. "/restart"): nothing was said
    return {"role": "user", "text": text, "timestamp": event.timestamp}


def _bot_message(event: BotUttered) -> Optional[Dict[str, Any]]:
    message: Dict[str, Any] = {"role": "bot"}
    data = {"text": event.text, **(event.data or {})}
    for key in _BOT_KEYS:
        if data.get(key) is not None:
            message[key] = data[key]
    if len(message) == 1:
        return None
    message["timestamp"] = event.timestamp
    return message
