"""A small asyncio REST client for the assistant, on loopback only."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Tuple

import aiohttp


async def say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> Tuple[float, List[Dict[str, Any]]]:
    """Send one message; return (seconds, bot messages)."""
    started = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        body = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {body}")
    return time.perf_counter() - started, body


def answered_id(messages: List[Dict[str, Any]]) -> Optional[str]:
    """The knowledge-base entry a reply came from, "decline" for a fallback, None for neither."""
    for message in messages:
        custom = message.get("custom") or {}
        if "source" in custom:
            return custom["source"]["id"] if custom["source"] else "decline"
    return None


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
