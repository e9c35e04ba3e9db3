"""Rasa's REST channel with its request body checked first.

Rasa's `RestInput` reads `request.json` as it comes: a body that is a JSON array, a string or
empty ends in a 500; a `message` that is not a string, `metadata` that is not an object, or
text with lone surrogates (`"\\ud800"`) is dropped with an empty 200 reply; a `sender` of any
type or length is stored (PostgreSQL then refuses ids over 255 characters or with NUL). This
channel keeps Rasa's behaviour, URL (`/webhooks/rest/webhook`) and reply shape for every
well-formed request, and refuses the others with the intranet channel's JSON errors:

    400 bad_json      the body is not JSON (or not UTF-8), or nests deeper than 32 levels
    400 bad_request   not an object; `sender`, `message` or `metadata` of the wrong type or shape
    413 body_too_large  a body over 1 MiB

A message longer than the assistant reads (ADVISOR_MAX_MESSAGE_CHARS) is not refused here: it
gets the assistant's polite "please ask in a sentence or two". The body's `input_channel` is
ignored (a client cannot claim to be another channel). Enabled in credentials.yml as
`bot.channels.rest.CheckedRestInput:` in place of `rest:`.

Nothing authenticates the body's `sender`, so REST conversations live in their own id space:
sender "alice" is the conversation `rest:alice` (also the `recipient_id` of the replies), never
the intranet employee "alice", whose conversation and saved plans are keyed by the token's
`sub`. A sender may have at most 250 characters (255 with the prefix).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.checks import MAX_SENDER_CHARS, REST_NAMESPACE, BadBody, check_text, object_body, sender_problem

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SENDER = "default"  # what Rasa's REST channel uses when a body names no sender
EXAMPLE = '{"sender": "...", "message": "..."}'


def conversation_id(sender: str) -> str:
    """The conversation a REST sender id writes to (its own id space; see the module's doc)."""
    return REST_NAMESPACE + sender


def refusal(status: int, code: str, reason: str) -> HTTPResponse:
    return response.json({"error": code, "reason": reason}, status=status)


def check_body(body: Optional[bytes]) -> Dict[str, Any]:
    """The checked payload; raises `BodyRefused` with the response to send."""
    try:
        payload = object_body(body, EXAMPLE, MAX_BODY_BYTES)
        sender = payload.get("sender")
        if sender is None:
            sender = DEFAULT_SENDER
        problem = sender_problem(sender, MAX_SENDER_CHARS - len(REST_NAMESPACE))
        if problem:
            raise BadBody(400, "bad_request", problem)
        metadata = payload.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise BadBody(400, "bad_request", "'metadata' must be a JSON object")
        if metadata is not None:
            check_text(json.dumps(metadata, ensure_ascii=False), "metadata")
    except BadBody as bad:
        raise BodyRefused(refusal(bad.status, bad.code, bad.reason)) from None
    return {"sender": conversation_id(sender), "message": payload["message"], "metadata": metadata}


class BodyRefused(Exception):
    def __init__(self, reply: HTTPResponse) -> None:
        super().__init__(reply.status)
        self.reply = reply


class CheckedRestInput(RestInput):
    """`RestInput` (name "rest", same URL) that refuses malformed bodies with a 4xx."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def check(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.rstrip("/").endswith(f"/{self.name()}/webhook"):
                return None
            try:
                request.ctx.checked = check_body(request.body)
            except BodyRefused as refused:
                return refused.reply
            return None

        return blueprint

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return req.ctx.checked["sender"]

    def _extract_message(self, req: Request) -> Optional[Text]:
        return req.ctx.checked["message"]

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return request.ctx.checked["metadata"]
