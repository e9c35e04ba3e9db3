"""The intranet channel: an authenticated web channel and the chat widget it serves.

Enabled in `credentials.yml` as `bot.channels.intranet.IntranetInput:`; Rasa mounts it under
`/webhooks/intranet/`:

    POST    webhook      one message; `Authorization: Bearer <JWT>`; answers like the REST channel
    GET     history      the token's user's earlier messages (for the widget after a reload)
    OPTIONS webhook, history   CORS preflight
    GET     widget.js, widget.css    the embeddable widget
    GET     demo, dev-token   a demo intranet page and its tokens: development mode without a
                              configured secret only (404 otherwise)
    GET     (root)       readiness: 200 once the model is loaded, 503 before (bot.channels.readiness)

The conversation id is the token's `sub`, never anything in the body. Refusals are JSON,
`{"error": <code>, "reason": <sentence>}`: 401 for token problems, 403 for an origin that is
not allowed, 413 for a message that is too long or a body over the byte cap, 400 for a
malformed body, 429 (with `Retry-After`) for a user over `ADVISOR_RATE_LIMIT` messages a
minute, 503 when no secret is configured outside development mode. Nothing refused reaches
the tracker. A secret shorter than 32 bytes outside development mode stops the server at start.
"""

from __future__ import annotations

import logging
import re
from asyncio import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.checks import REST_NAMESPACE, BadBody, check_text, object_body
from bot.channels.cors import OriginPolicy
from bot.channels.history import DISPLAY_TEXT_KEY, conversation_messages, is_message
from bot.channels.rate_limit import rate_limiter_for
from bot.channels.readiness import model_status, stop_unless_model_loaded
from bot.settings import Settings, get_settings
from bot.stores import message_events
from bot.tokens import (
    DEVELOPMENT_SECRET,
    Identity,
    SecretProblem,
    TokenError,
    issue_token,
    issues_development_tokens,
    normalise_language,
    signing_secret,
    verify_token,
)

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_DISPLAY_TEXT_CHARS = 200
DEFAULT_HISTORY_LIMIT = 100
MAX_HISTORY_LIMIT = 500
DEV_USER_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")  # used with fullmatch: no trailing newline
DEFAULT_DEV_USER = "demo"
BODY_EXAMPLE = '{"message": "..."}'
# A character of the message may arrive as a JSON escape of a surrogate pair ("\\ud83d\\ude00",
# 12 bytes): the body's byte cap leaves room for that; the character limit is counted after parsing.
MAX_BYTES_PER_CHAR = 12

_ASSETS: Mapping[str, tuple] = {
    # route -> (file, content type, cache policy)
    "widget.js": ("widget.js", "application/javascript; charset=utf-8", "public, max-age=300"),
    "widget.css": ("widget.css", "text/css; charset=utf-8", "public, max-age=300"),
}
DEMO_PAGE = ("demo.html", "text/html; charset=utf-8", "no-cache")


class ChannelMisconfigured(RasaException):
    """The intranet channel's settings are unsafe to run with; the Rasa server does not start."""

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class Refusal(Exception):
    """A request the channel answers with an error instead of passing it on."""

    def __init__(self, status: int, code: str, reason: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.headers = headers or {}

    def response(self) -> HTTPResponse:
        return error_response(self.status, self.code, self.reason, self.headers)


def error_response(status: int, code: str, reason: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": code, "reason": reason}, status=status, headers=headers)


@dataclass(frozen=True)
class IncomingMessage:
    text: str
    lang: Optional[str]
    display_text: Optional[str]


class IntranetInput(InputChannel):
    """Messages from employees signed in to the intranet, identified by a signed token."""

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or get_settings()
        try:
            self.secret = signing_secret(self.settings)
        except SecretProblem as problem:
            raise ChannelMisconfigured(f"intranet channel: {problem}") from None
        # The demo page and /dev-token exist only where every token is a public development one.
        self.development = issues_development_tokens(self.settings)
        self.origins = OriginPolicy.from_origins(self.settings.allowed_origins)
        self.max_body_bytes = MAX_BYTES_PER_CHAR * (self.settings.max_message_chars + MAX_DISPLAY_TEXT_CHARS) + 1024
        self.rate_limiter = rate_limiter_for(self.settings.rate_limit, self.settings.lock_store_url, self.settings.sanic_workers)
        self._log_configuration()

    @classmethod
    def name(cls) -> Text:
        return "intranet"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "IntranetInput":
        if credentials:
            logger.warning(
                "intranet channel: settings come from the environment (ADVISOR_*); "
                "ignoring keys in credentials.yml: %s",
                ", ".join(sorted(credentials)),
            )
        return cls()

    def _log_configuration(self) -> None:
        if self.secret is None:
            logger.error(
                "intranet channel: ADVISOR_JWT_SECRET is not set, so every message will be refused "
                "(set it, or set ADVISOR_DEV_MODE=1 on a development machine)"
            )
        elif self.secret == DEVELOPMENT_SECRET:
            logger.warning(
                "intranet channel: DEVELOPMENT MODE without ADVISOR_JWT_SECRET: tokens are signed with a "
                "public development secret, so anyone can act as any user. Never run a company like this."
            )
        elif len(self.secret.encode("utf-8")) < 32:
            logger.warning("intranet channel: ADVISOR_JWT_SECRET is shorter than 32 bytes; use a longer random secret")
        if self.settings.jwt_secret_stripped:
            logger.warning(
                "intranet channel: ADVISOR_JWT_SECRET had spaces or a newline around it; they were removed "
                "(the intranet must sign with the secret without them)"
            )
        if self.development:
            logger.warning("intranet channel: development mode: GET /webhooks/intranet/dev-token issues tokens for any user")
        elif self.settings.dev_mode:
            logger.warning("intranet channel: development mode with ADVISOR_JWT_SECRET set: no demo page, no dev tokens")

    # -- the blueprint -------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        intranet = Blueprint("intranet_channel", __name__)
        intranet.listener("after_server_start")(stop_unless_model_loaded)

        @intranet.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            ready, detail = model_status(request.app)
            return response.json(
                {"status": "ok" if ready else "not_ready", "model": detail, "configured": self.secret is not None},
                status=200 if ready else 503,
            )

        @intranet.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                self._check_origin(request)
                identity = self._authenticate(request)
                await self._check_rate(identity)
                incoming = self._parse_message(request)
            except Refusal as refusal:
                return refusal.response()
            return await self._handle(on_new_message, identity, incoming)

        @intranet.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            try:
                self._check_origin(request)
                identity = self._authenticate(request)
                limit = _history_limit(request.args.get("limit"))
            except Refusal as refusal:
                return refusal.response()
            return await self._history(request, identity, limit)

        @intranet.route("/webhook", methods=["OPTIONS"], name="webhook_preflight")
        async def webhook_preflight(request: Request) -> HTTPResponse:
            return self._preflight(request)

        @intranet.route("/history", methods=["OPTIONS"], name="history_preflight")
        async def history_preflight(request: Request) -> HTTPResponse:
            return self._preflight(request)

        @intranet.route("/dev-token", methods=["GET"])
        async def dev_token(request: Request) -> HTTPResponse:
            try:
                return self._dev_token(request)
            except Refusal as refusal:
                return refusal.response()

        for route, (filename, content_type, cache) in _ASSETS.items():
            intranet.add_route(
                _asset_handler(filename, content_type, cache),
                f"/{route}",
                methods=["GET"],
                name=f"asset_{filename.replace('.', '_')}",
            )
        demo_page = _asset_handler(*DEMO_PAGE)

        @intranet.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            if not self.development:
                return self._not_in_development().response()
            return await demo_page(request)

        @intranet.middleware("response")
        async def cross_origin(request: Request, outgoing: HTTPResponse) -> Optional[HTTPResponse]:
            # The Rasa server installs app-wide CORS handling (`rasa run --cors`) that answers
            # every preflight itself and adds its own headers. This channel's origins come from
            # ADVISOR_ALLOWED_ORIGINS alone: as the last response middleware on these routes it
            # replaces preflight answers and whatever CORS headers were added before.
            if request.method == "OPTIONS":
                return self._preflight(request)
            for header in [key for key in outgoing.headers if key.lower().startswith("access-control-")]:
                del outgoing.headers[header]
            origin = request.headers.get("origin")
            if origin is not None and self.origins.allows(origin, request.host):
                outgoing.headers.update(OriginPolicy.response_headers(origin))
            outgoing.headers["X-Content-Type-Options"] = "nosniff"
            return None

        return intranet

    # -- request checks ------------------------------------------------------------------------

    def _check_origin(self, request: Request) -> None:
        if not self.origins.allows(request.headers.get("origin"), request.host):
            raise Refusal(403, "origin_not_allowed", "this page's origin is not listed in ADVISOR_ALLOWED_ORIGINS")

    def _authenticate(self, request: Request) -> Identity:
        if self.secret is None:
            raise Refusal(
                503,
                "not_configured",
                "the intranet channel has no ADVISOR_JWT_SECRET and refuses every message; "
                "set the secret the intranet signs its tokens with",
            )
        header = request.headers.get("authorization")
        if not header:
            raise Refusal(401, "missing_token", "send the user's token as 'Authorization: Bearer <token>'", _challenge())
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(401, "malformed_token", "the Authorization header must be 'Bearer <token>'", _challenge())
        try:
            identity = verify_token(
                token.strip(),
                self.secret,
                max_ttl=self.settings.jwt_max_ttl,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
            )
        except TokenError as error:
            raise Refusal(401, error.code, error.reason, _challenge()) from None
        if identity.user_id.startswith(REST_NAMESPACE):
            raise Refusal(401, "invalid_subject", f"a user id may not start with {REST_NAMESPACE!r}", _challenge())
        return identity

    async def _check_rate(self, identity: Identity) -> None:
        if self.rate_limiter is None:
            return
        wait = await self.rate_limiter.retry_after(identity.user_id)
        if wait is not None:
            raise Refusal(
                429,
                "too_many_messages",
                f"at most {self.settings.rate_limit} messages a minute; please wait {wait} s",
                {"Retry-After": str(wait)},
            )

    def _parse_message(self, request: Request) -> IncomingMessage:
        limit = self.settings.max_message_chars
        too_long = f"a message may have at most {limit} characters"
        try:
            payload = object_body(request.body, BODY_EXAMPLE, self.max_body_bytes)
            text = payload["message"]
            if not text.strip():
                raise BadBody(400, "bad_request", "'message' must not be empty")
            if len(text) > limit:
                raise BadBody(413, "message_too_long", too_long)
            lang = payload.get("lang")
            if lang is not None and not isinstance(lang, str):
                raise BadBody(400, "bad_request", "'lang' must be a string such as \"pl\" or \"en\"")
            display = payload.get("display_text")
            if display is not None:
                check_text(display, "display_text")
            if display is not None and len(display) > MAX_DISPLAY_TEXT_CHARS:
                raise BadBody(413, "message_too_long", f"'display_text' may have at most {MAX_DISPLAY_TEXT_CHARS} characters")
        except BadBody as bad:
            raise Refusal(bad.status, bad.code, bad.reason) from None
        return IncomingMessage(text=text, lang=normalise_language(lang), display_text=(display or "").strip() or None)

    # -- handlers --------------------------------------------------------------------------------

    async def _handle(self, on_new_message: OnNewMessage, identity: Identity, incoming: IncomingMessage) -> HTTPResponse:
        collector = CollectingOutputChannel()
        message = UserMessage(
            incoming.text,
            collector,
            identity.user_id,
            input_channel=self.name(),
            metadata=_metadata(identity, incoming),
        )
        try:
            await on_new_message(message)
        except CancelledError:
            logger.error("intranet channel: the assistant did not answer in time")
            return error_response(504, "timeout", "the assistant did not answer in time; please try again")
        except Exception:
            logger.exception("intranet channel: handling a message failed")
            return error_response(500, "assistant_error", "the assistant could not answer; please try again")
        return response.json(collector.messages)

    async def _history(self, request: Request, identity: Identity, limit: int) -> HTTPResponse:
        agent = getattr(request.app.ctx, "agent", None)
        tracker_store = getattr(agent, "tracker_store", None)
        if tracker_store is None:
            return error_response(503, "not_ready", "the assistant is still starting; please try again")
        # Every session, not only the current one (which is all `retrieve` gives), and only the
        # messages: a conversation id lives for months.
        events = await message_events(tracker_store, identity.user_id, limit, keep=is_message)
        return response.json(
            {
                "user": identity.user_id,
                "messages": conversation_messages(events, limit),
                "max_message_chars": self.settings.max_message_chars,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _preflight(self, request: Request) -> HTTPResponse:
        origin = request.headers.get("origin")
        if origin is None:
            return response.empty(status=204)
        if not self.origins.allows(origin, request.host):
            return error_response(403, "origin_not_allowed", "this page's origin is not listed in ADVISOR_ALLOWED_ORIGINS")
        return response.empty(status=204, headers=OriginPolicy.preflight_headers(origin))

    @staticmethod
    def _not_in_development() -> Refusal:
        return Refusal(
            404,
            "not_in_dev_mode",
            "the demo page and development tokens exist only with ADVISOR_DEV_MODE=1 and no ADVISOR_JWT_SECRET; "
            "get a token from your intranet, or run `advisor token --user <id>`",
        )

    def _dev_token(self, request: Request) -> HTTPResponse:
        if not self.development:
            raise self._not_in_development()
        user = request.args.get("user") or DEFAULT_DEV_USER
        if not DEV_USER_PATTERN.fullmatch(user):
            raise Refusal(400, "bad_request", "'user' must be 1-64 letters, digits or . _ @ -")
        lang_arg = request.args.get("lang")
        lang = normalise_language(lang_arg)
        if lang_arg and lang is None:
            raise Refusal(400, "bad_request", "'lang' must be pl or en")
        ttl = max(1, min(self.settings.dev_token_ttl, self.settings.jwt_max_ttl))
        try:
            # Only ever the public development secret: a configured secret never signs these.
            token = issue_token(DEVELOPMENT_SECRET, user, lang=lang, ttl_seconds=ttl, max_ttl=ttl,
                                audience=self.settings.jwt_audience, issuer=self.settings.jwt_issuer)
        except ValueError as error:
            raise Refusal(400, "bad_request", str(error)) from None
        return response.json({"token": token, "user": user, "expires_in": ttl}, headers={"Cache-Control": "no-store"})


def _metadata(identity: Identity, incoming: IncomingMessage) -> Optional[Dict[str, Any]]:
    """What the assistant learns besides the text: the language the page (or token) asks for."""
    metadata: Dict[str, Any] = {}
    lang = incoming.lang or identity.lang
    if lang:
        metadata["lang"] = lang
    if identity.name:
        metadata["name"] = identity.name
    if incoming.display_text:
        metadata[DISPLAY_TEXT_KEY] = incoming.display_text
    return metadata or None


def _history_limit(raw: Optional[str]) -> int:
    if raw is None:
        return DEFAULT_HISTORY_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise Refusal(400, "bad_request", "'limit' must be a whole number") from None
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise Refusal(400, "bad_request", f"'limit' must be between 1 and {MAX_HISTORY_LIMIT}")
    return limit


def _challenge() -> Dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="plan-advisor", error="invalid_token"'}


def _asset_handler(filename: str, content_type: str, cache: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
    path = WEB_DIR / filename

    async def serve(request: Request) -> HTTPResponse:
        # Read on each request: the files are small, and an edited widget shows on reload.
        return response.raw(path.read_bytes(), content_type=content_type, headers={"Cache-Control": cache})

    return serve
