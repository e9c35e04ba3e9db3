"""Which web pages may call the intranet channel from a browser (CORS).

The widget runs inside an intranet page, so its calls to the assistant are cross-origin and
carry an `Authorization` header: the browser sends a preflight `OPTIONS` first. An origin is
allowed when it is listed in `ADVISOR_ALLOWED_ORIGINS` (comma separated, `*` for any), or when
it is the assistant's own origin (the demo page). Requests without an `Origin` header (curl,
server-to-server) are not browser calls and are not restricted here; the token still is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Tuple
from urllib.parse import urlsplit

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE_SECONDS = 600


def normalise_origin(origin: str) -> Optional[str]:
    """"HTTPS://Intranet.Example.com/" -> "https://intranet.example.com"; junk -> None."""
    parts = urlsplit(origin.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class OriginPolicy:
    allowed: Tuple[str, ...]
    allow_any: bool = False

    @classmethod
    def from_origins(cls, origins: Iterable[str]) -> "OriginPolicy":
        listed = [origin.strip() for origin in origins if origin.strip()]
        normalised = tuple(sorted({o for o in map(normalise_origin, listed) if o is not None}))
        return cls(allowed=normalised, allow_any="*" in listed)

    def allows(self, origin: Optional[str], own_host: str) -> bool:
        """Whether a request with this `Origin` header may be served."""
        if origin is None:
            return True
        normalised = normalise_origin(origin)
        if normalised is None:
            return False
        if self.allow_any or normalised in self.allowed:
            return True
        return urlsplit(normalised).netloc == own_host.lower()

    @staticmethod
    def response_headers(origin: Optional[str]) -> Dict[str, str]:
        """Headers that let the browser hand an allowed origin the response."""
        if origin is None:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    @staticmethod
    def preflight_headers(origin: str) -> Dict[str, str]:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
            "Vary": "Origin",
        }
