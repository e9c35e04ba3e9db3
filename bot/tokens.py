"""Signed identity tokens for the intranet channel: issue and verify.

The intranet signs a short JSON Web Token for the employee who is signed in and hands it to
the chat widget; the assistant verifies it with the same shared secret. Only HS256 is
accepted: a token announcing any other algorithm (`none`, HS512, RS256, ...) is refused
before its signature is looked at.

Claims: `sub` (required) is the employee's id and becomes the conversation id; `name`,
`lang` ("pl" | "en") and `exp` (seconds since the epoch) are optional.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import jwt
from jwt import exceptions as jwt_errors

from bot.channels.checks import has_control_characters, is_unicode_text
from bot.settings import Settings

ALGORITHM = "HS256"

# Used only when ADVISOR_DEV_MODE is on and no ADVISOR_JWT_SECRET is set. It is public (it
# is in this file), so a token signed with it proves nothing: never run a company like that.
DEVELOPMENT_SECRET = "plan-advisor-development-secret-not-for-production-use"

LANGUAGES = ("pl", "en")
MAX_SUBJECT_CHARS = 255  # Rasa's SQL tracker store keeps sender ids in a VARCHAR(255)
CLOCK_LEEWAY_SECONDS = 30

# PyJWT checks that `sub` is a string from 2.10 on; older versions leave it to `_identity`.
_InvalidSubject = getattr(jwt_errors, "InvalidSubjectError", jwt_errors.MissingRequiredClaimError)


class TokenError(Exception):
    """A token that must be refused; `code` is stable, `reason` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    user_id: str
    name: Optional[str] = None
    lang: Optional[str] = None
    expires_at: Optional[int] = None


def signing_secret(settings: Settings) -> Optional[str]:
    """The secret tokens are signed and checked with, or None when the channel must refuse.

    A configured `ADVISOR_JWT_SECRET` always wins; without one, only development mode falls
    back to the fixed (public) development secret.
    """
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.dev_mode:
        return DEVELOPMENT_SECRET
    return None


def normalise_language(value: Any) -> Optional[str]:
    """"pl", "pl-PL", "EN_gb" -> "pl" / "en"; anything else -> None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def issue_token(
    secret: str,
    user_id: str,
    *,
    lang: Optional[str] = None,
    name: Optional[str] = None,
    ttl_seconds: Optional[int] = 3600,
    now: Optional[float] = None,
) -> str:
    """Sign a token for `user_id`; `ttl_seconds=None` issues one that never expires."""
    _check_subject(user_id)
    issued_at = int(time.time() if now is None else now)
    claims: Dict[str, Any] = {"sub": user_id, "iat": issued_at}
    if ttl_seconds is not None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        claims["exp"] = issued_at + int(ttl_seconds)
    if lang is not None:
        language = normalise_language(lang)
        if language is None:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
        claims["lang"] = language
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str) -> Identity:
    """Check the token's algorithm, signature and times; raise `TokenError` if any fails."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt_errors.DecodeError:
        raise TokenError("malformed_token", "the token is not a well-formed JWT") from None
    if header.get("alg") != ALGORITHM:
        raise TokenError(
            "algorithm_not_allowed",
            f"tokens must be signed with {ALGORITHM}; {header.get('alg')!r} is not accepted",
        )
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub"]},
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt_errors.ExpiredSignatureError:
        raise TokenError("token_expired", "the token has expired") from None
    except jwt_errors.InvalidSignatureError:
        raise TokenError("bad_signature", "the token's signature does not match") from None
    except jwt_errors.ImmatureSignatureError:
        raise TokenError("token_not_yet_valid", "the token is not valid yet") from None
    except jwt_errors.MissingRequiredClaimError:
        raise TokenError("invalid_subject", "the token has no 'sub' (user id)") from None
    except _InvalidSubject:
        raise TokenError("invalid_subject", "the token's 'sub' must be a string") from None
    except jwt_errors.InvalidAlgorithmError:
        raise TokenError("algorithm_not_allowed", f"tokens must be signed with {ALGORITHM}") from None
    except jwt_errors.InvalidTokenError as error:
        raise TokenError("malformed_token", f"the token is not valid: {error}") from None
    return _identity(claims)


def _identity(claims: Mapping[str, Any]) -> Identity:
    subject = claims["sub"]
    try:
        _check_subject(subject)
    except ValueError as error:
        raise TokenError("invalid_subject", str(error)) from None
    name = claims.get("name")
    expires_at = claims.get("exp")
    return Identity(
        user_id=subject,
        name=name if isinstance(name, str) and name.strip() else None,
        lang=normalise_language(claims.get("lang")),
        expires_at=int(expires_at) if isinstance(expires_at, (int, float)) else None,
    )


def _check_subject(user_id: Any) -> None:
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValueError("the user id ('sub') must be a non-empty string")
    if len(user_id) > MAX_SUBJECT_CHARS:
        raise ValueError(f"the user id ('sub') must be at most {MAX_SUBJECT_CHARS} characters")
    if not is_unicode_text(user_id) or has_control_characters(user_id):
        # PostgreSQL refuses NUL in a sender id, and Rasa's SQL tracker store then exits.
        raise ValueError("the user id ('sub') must be printable text without control characters")
