"""Checks on text that comes in over HTTP, shared by the input channels."""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_SENDER_CHARS = 255  # Rasa's SQL tracker store keeps sender ids in a VARCHAR(255)


def is_unicode_text(value: Any) -> bool:
    """A string that UTF-8 can encode (JSON's "\\ud800" escapes give lone surrogates it cannot)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def has_control_characters(value: str) -> bool:
    """Control or unassigned code points (NUL, newlines, bidi overrides are not in an id)."""
    return any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in value)


def sender_problem(value: Any) -> str:
    """Why `value` cannot be a conversation id, or "" when it can."""
    if not isinstance(value, str):
        return "'sender' must be a string"
    if not value.strip():
        return "'sender' must not be empty"
    if len(value) > MAX_SENDER_CHARS:
        return f"'sender' may have at most {MAX_SENDER_CHARS} characters"
    if not is_unicode_text(value) or has_control_characters(value):
        return "'sender' must be printable text without control characters"
    return ""
