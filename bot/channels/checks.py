"""Checks on text that comes in over HTTP, shared by the input channels."""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Dict

from knowledge import MAX_USER_ID_CHARS as MAX_SENDER_CHARS
# JSON bodies nest a few levels at most (a message, its metadata). Deeper ones are refused:
# Python's parser stops with RecursionError near 1,000 levels, and the copies Rasa makes of a
# message's metadata recurse further still.
MAX_JSON_DEPTH = 32
# The REST channel trusts the sender id in the body: its conversations are kept under this
# prefix, so that no REST sender id is ever the id of an authenticated intranet user.
REST_NAMESPACE = "rest:"


class BadBody(ValueError):
    """A request body refused: the HTTP `status`, a `code` ("bad_json", "bad_request", ...), a reason."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


def object_body(body: bytes, example: str, max_bytes: int) -> Dict[str, Any]:
    """The body's JSON object with a `message` of Unicode text; raises `BadBody` otherwise.

    Refused: over `max_bytes` (413 body_too_large), not UTF-8 JSON or nested too deeply
    (400 bad_json), not an object or a `message` that is not a string of Unicode text (400 bad_request).
    """
    body = body or b""
    if len(body) > max_bytes:
        raise BadBody(413, "body_too_large", f"the body may have at most {max_bytes} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # ValueError includes bytes that are not UTF-8
        raise BadBody(400, "bad_json", f"the body must be a JSON object such as {example}") from None
    if json_depth(payload) > MAX_JSON_DEPTH:
        raise BadBody(400, "bad_json", f"the body's JSON may nest at most {MAX_JSON_DEPTH} levels deep")
    if not isinstance(payload, dict):
        raise BadBody(400, "bad_request", f"the body must be a JSON object such as {example}")
    check_text(payload.get("message"), "message")
    return payload


def check_text(value: Any, name: str) -> None:
    """Raises `BadBody` (400) unless `value` is a string of Unicode text (no lone surrogates)."""
    if not isinstance(value, str):
        raise BadBody(400, "bad_request", f"'{name}' must be a string")
    if not is_unicode_text(value):  # e.g. a lone surrogate from a "\ud800" escape
        raise BadBody(400, "bad_request", f"'{name}' must be valid Unicode text")


def json_depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


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


def sender_problem(value: Any, max_chars: int = MAX_SENDER_CHARS) -> str:
    """Why `value` cannot be a conversation id, or "" when it can."""
    if not isinstance(value, str):
        return "'sender' must be a string"
    if not value.strip():
        return "'sender' must not be empty"
    if len(value) > max_chars:
        return f"'sender' may have at most {max_chars} characters"
    if not is_unicode_text(value) or has_control_characters(value):
        return "'sender' must be printable text without control characters"
    return ""
