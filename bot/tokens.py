"""Signed identity tokens for the intranet channel: issue and verify.

The intranet signs a short JSON Web Token for the employee who is signed in and hands it to
the chat widget; the assistant verifies it with the same shared secret. Only HS256 is
accepted: a token announcing any other algorithm (`none`, HS512, RS256, ...) is refused
before its signature is looked at.

Claims: `sub` (required) is the employee's id and becomes the conversation id; `exp`
(required, seconds since the epoch) at most `ADVISOR_JWT_MAX_TTL` seconds away (12 h by
default); `name` and `lang` ("pl" | "en") are optional. `aud` and `iss` are checked when
`ADVISOR_JWT_AUDIENCE` / `ADVISOR_JWT_ISSUER` are set, and otherwise accepted as they are
(tokens of a real identity provider carry them).

The secret: surrounding whitespace is removed when the settings are read (a secret file's
trailing newline); outside development mode a secret shorter than 32 bytes is refused
(`SecretProblem`). The public development secret signs tokens only in development mode when no
secret is configured: a configured secret never signs development tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

import jwt
from jwt import exceptions as jwt_errors

from bot.channels.checks import has_control_characters, is_unicode_text
from knowledge import MAX_USER_ID_CHARS
from language import LANGUAGES
from bot.settings import Settings

ALGORITHM = "HS256"

# Used only when ADVISOR_DEV_MODE is on and no ADVISOR_JWT_SECRET is set. It is public (it
# is in this file), so a token signed with it proves nothing: never run a company like that.
DEVELOPMENT_SECRET = "plan-advisor-development-secret-not-for-production-use"

CLOCK_LEEWAY_SECONDS = 30
DEFAULT_MAX_TTL_SECONDS = 12 * 3600
MIN_SECRET_BYTES = 32  # HS256's key should be at least as long as its 256-bit hash (RFC 7518 3.2)

# PyJWT checks that `sub` is a string from 2.10 on; older versions leave it to `_identity`.
_InvalidSubject = getattr(jwt_errors, "InvalidSubjectError", jwt_errors.MissingRequiredClaimError)


class TokenError(Exception):
    """A token that must be refused; `code` is stable, `reason` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SecretProblem(ValueError):
    """A configured secret the intranet channel must not run with; the message says what to do."""


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
    back to the fixed (public) development secret. Raises `SecretProblem` for a secret shorter
    than 32 bytes outside development mode.
    """
    if settings.jwt_secret:
        if len(settings.jwt_secret.encode("utf-8")) < MIN_SECRET_BYTES and not settings.dev_mode:
            raise SecretProblem(
                f"ADVISOR_JWT_SECRET is {len(settings.jwt_secret.encode('utf-8'))} bytes long; it must be at least "
                f"{MIN_SECRET_BYTES} bytes of random data, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                "set the same value on the intranet's side"
            )
        return settings.jwt_secret
    if settings.dev_mode:
        return DEVELOPMENT_SECRET
    return None


def issues_development_tokens(settings: Settings) -> bool:
    """Whether `/dev-token` and the demo page are served: development mode and no real secret."""
    return settings.dev_mode and not settings.jwt_secret


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
    ttl_seconds: int = 3600,
    max_ttl: int = DEFAULT_MAX_TTL_SECONDS,
    audience: Optional[str] = None,
    issuer: Optional[str] = None,
    now: Optional[float] = None,
) -> str:
    """Sign a token for `user_id` that expires after `ttl_seconds` (at most `max_ttl`)."""
    _check_subject(user_id)
    if not isinstance(ttl_seconds, int) or ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    if ttl_seconds > max_ttl:
        raise ValueError(f"ttl_seconds may be at most {max_ttl} (ADVISOR_JWT_MAX_TTL)")
    issued_at = int(time.time() if now is None else now)
    claims: Dict[str, Any] = {"sub": user_id, "iat": issued_at, "exp": issued_at + ttl_seconds}
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    if lang is not None:
        language = normalise_language(lang)
        if language is None:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
        claims["lang"] = language
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(
    token: str,
    secret: str,
    *,
    max_ttl: int = DEFAULT_MAX_TTL_SECONDS,
    audience: Optional[str] = None,
    issuer: Optional[str] = None,
    now: Optional[float] = None,
) -> Identity:
    """Check the token's algorithm, signature, times and (when given) audience and issuer.

    Raises `TokenError` if any check fails.
    """
    if not isinstance(token, str) or not is_unicode_text(token):
        raise TokenError("malformed_token", "the token is not a well-formed JWT")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt_errors.InvalidTokenError, UnicodeError, ValueError, TypeError):  # e.g. a "kid" that is not a string
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
            options={"require": ["sub", "exp"], "verify_aud": audience is not None},
            audience=audience,
            issuer=issuer,
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt_errors.ExpiredSignatureError:
        raise TokenError("token_expired", "the token has expired") from None
    except jwt_errors.InvalidSignatureError:
        raise TokenError("bad_signature", "the token's signature does not match") from None
    except jwt_errors.ImmatureSignatureError:
        raise TokenError("token_not_yet_valid", "the token is not valid yet") from None
    except jwt_errors.MissingRequiredClaimError as error:
        raise _missing_claim(error.claim) from None
    except jwt_errors.InvalidAudienceError:
        raise TokenError("wrong_audience", "the token's 'aud' does not name this assistant (ADVISOR_JWT_AUDIENCE)") from None
    except jwt_errors.InvalidIssuerError:
        raise TokenError("wrong_issuer", "the token's 'iss' is not the configured issuer (ADVISOR_JWT_ISSUER)") from None
    except _InvalidSubject:
        raise TokenError("invalid_subject", "the token's 'sub' must be a string") from None
    except jwt_errors.InvalidAlgorithmError:
        raise TokenError("algorithm_not_allowed", f"tokens must be signed with {ALGORITHM}") from None
    except jwt_errors.InvalidTokenError as error:
        raise TokenError("malformed_token", f"the token is not valid: {error}") from None
    except (ValueError, TypeError, OverflowError):  # e.g. claims of an unexpected shape or size
        raise TokenError("malformed_token", "the token is not a well-formed JWT") from None
    try:
        _check_lifetime(claims, max_ttl, time.time() if now is None else now)
    except (TypeError, OverflowError):  # an `exp` or `iat` beyond what a float holds
        raise TokenError("lifetime_too_long", "the token's times are out of range") from None
    return _identity(claims)


def _missing_claim(claim: str) -> TokenError:
    if claim == "exp":
        return TokenError("missing_expiry", "the token has no 'exp' (expiry time); every token must expire")
    if claim == "aud":
        return TokenError("wrong_audience", "the token has no 'aud'; ADVISOR_JWT_AUDIENCE requires one")
    if claim == "iss":
        return TokenError("wrong_issuer", "the token has no 'iss'; ADVISOR_JWT_ISSUER requires one")
    return TokenError("invalid_subject", "the token has no 'sub' (user id)")


def _check_lifetime(claims: Mapping[str, Any], max_ttl: int, now: float) -> None:
    """Refuse a token that lives longer than `max_ttl`, counted from `iat` and from now."""
    expires_at = claims["exp"]
    issued_at = claims.get("iat")
    starts = [now]
    if isinstance(issued_at, (int, float)) and not isinstance(issued_at, bool):
        starts.append(issued_at)
    if any(expires_at - start > max_ttl + CLOCK_LEEWAY_SECONDS for start in starts):
        raise TokenError(
            "lifetime_too_long",
            f"the token lives longer than {max_ttl} seconds (ADVISOR_JWT_MAX_TTL); issue shorter-lived tokens",
        )


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
    if len(user_id) > MAX_USER_ID_CHARS:
        raise ValueError(f"the user id ('sub') must be at most {MAX_USER_ID_CHARS} characters")
    if not is_unicode_text(user_id) or has_control_characters(user_id):
        # PostgreSQL refuses NUL in a sender id, and Rasa's SQL tracker store then exits.
        raise ValueError("the user id ('sub') must be printable text without control characters")
