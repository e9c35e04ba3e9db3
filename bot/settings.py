"""One typed settings object, read from the environment.

Unset variables fall back to the embedded defaults a newcomer needs for a first run: SQLite
files under `var/` in the project directory and an in-memory lock store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

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
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def get_settings() -> Settings:
    """The settings of this process, read from the environment now."""
    return Settings.from_env()
