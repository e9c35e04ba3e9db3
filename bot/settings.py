"""One typed settings object, read from the environment.

Unset variables fall back to the embedded defaults a newcomer needs for a first run: SQLite
files under `var/` in the project directory and an in-memory lock store.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    knowledge_db_url: str
    tracker_store_url: str
    lock_store_url: Optional[str]
    content_dir: Path
    rasa_port: int
    actions_port: int
    jwt_secret: Optional[str]
    dev_mode: bool
    allowed_origins: tuple
    max_message_chars: int
    dev_token_ttl: int = 8 * 3600  # seconds a development-mode demo token lives
    tracker_window: int = 100  # events of recent history each turn loads; 0 = Rasa's whole session
    sanic_workers: int = 1  # Rasa's SANIC_WORKERS: worker processes of one Rasa server (needs LOCK_STORE_URL)
    jwt_max_ttl: int = 12 * 3600  # the longest token lifetime the intranet channel accepts (seconds)
    jwt_audience: Optional[str] = None  # when set, a token's `aud` must name it
    jwt_issuer: Optional[str] = None  # when set, a token's `iss` must be it
    jwt_secret_stripped: bool = False  # ADVISOR_JWT_SECRET had surrounding whitespace (removed)
    rate_limit: int = 30  # intranet messages per user per minute; 0 = no limit
    contacts: Tuple[Tuple[str, str], ...] = ()  # ADVISOR_CONTACT: (language or "*", address) pairs

    def contact_for(self, lang: str) -> Optional[str]:
        """The hand-off contact (a URL or a mailto: address) for `lang`, or None when none is set."""
        by_lang = dict(self.contacts)
        return by_lang.get(lang) or by_lang.get("*")

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env
        var_dir = Path(env.get("ADVISOR_VAR_DIR", PROJECT_DIR / "var"))
        return cls(
            knowledge_db_url=env.get("KNOWLEDGE_DB_URL") or f"sqlite:///{var_dir / 'knowledge.db'}",
            tracker_store_url=env.get("TRACKER_STORE_URL") or f"sqlite:///{var_dir / 'tracker.db'}",
            lock_store_url=env.get("LOCK_STORE_URL") or None,
            content_dir=Path(env.get("KNOWLEDGE_CONTENT_DIR", PROJECT_DIR / "knowledge" / "content")),
            rasa_port=_int(env, "RASA_PORT", 5005),
            actions_port=_int(env, "ACTIONS_PORT", 5055),
            jwt_secret=(env.get("ADVISOR_JWT_SECRET") or "").strip() or None,
            dev_mode=env.get("ADVISOR_DEV_MODE", "").lower() in ("1", "true", "yes"),
            allowed_origins=tuple(
                origin.strip() for origin in env.get("ADVISOR_ALLOWED_ORIGINS", "").split(",") if origin.strip()
            ),
            max_message_chars=_int(env, "ADVISOR_MAX_MESSAGE_CHARS", 4000),
            dev_token_ttl=_int(env, "ADVISOR_DEV_TOKEN_TTL", 8 * 3600),
            tracker_window=max(0, _int(env, "ADVISOR_TRACKER_WINDOW", 100)),
            sanic_workers=_int(env, "SANIC_WORKERS", 1),
            jwt_max_ttl=_int(env, "ADVISOR_JWT_MAX_TTL", 12 * 3600),
            jwt_audience=(env.get("ADVISOR_JWT_AUDIENCE") or "").strip() or None,
            jwt_issuer=(env.get("ADVISOR_JWT_ISSUER") or "").strip() or None,
            # A secret read from a file (`$(cat secret.txt)`, a Kubernetes secret) often ends in a
            # newline that the intranet's signing side does not have: it is removed, and logged.
            jwt_secret_stripped=(env.get("ADVISOR_JWT_SECRET") or "") != (env.get("ADVISOR_JWT_SECRET") or "").strip(),
            rate_limit=max(0, _int(env, "ADVISOR_RATE_LIMIT", 30)),
            contacts=parse_contacts(env.get("ADVISOR_CONTACT", "")),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


_EMAIL = re.compile(r"^[^@\s/:,]+@[^@\s/:,]+\.[^@\s/:,]+$")
_URL = re.compile(r"^https?://[^\s/,]+[^\s,]*$")


def parse_contacts(raw: str) -> Tuple[Tuple[str, str], ...]:
    """ADVISOR_CONTACT: one address for every language, or `pl=...,en=...`.

    An address is an http(s) URL, a `mailto:` address or a bare e-mail address (kept as
    `mailto:`). Anything else is refused with the variable's name, so a typo stops the start
    instead of sending people to a wrong address.
    """
    pairs = []
    for part in (item.strip() for item in raw.split(",")):
        if not part:
            continue
        lang, sep, value = part.partition("=")
        if sep and lang.strip().lower() in ("pl", "en"):
            lang, value = lang.strip().lower(), value.strip()
        else:
            lang, value = "*", part
        address = value[len("mailto:"):] if value.lower().startswith("mailto:") else value
        if _EMAIL.match(address):
            value = "mailto:" + address
        elif not _URL.match(value):
            raise ValueError(
                f"ADVISOR_CONTACT: {part!r} is not an http(s) URL or an e-mail address "
                "(write one address, or pl=...,en=...)"
            )
        if any(known == lang for known, _ in pairs):
            raise ValueError(f"ADVISOR_CONTACT names {lang!r} twice")
        pairs.append((lang, value))
    return tuple(pairs)


def get_settings() -> Settings:
    """The settings of this process, read from the environment now."""
    return Settings.from_env()


def safe_url(url: str) -> str:
    """A store URL as it may be printed: with its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
