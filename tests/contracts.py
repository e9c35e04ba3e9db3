"""Checks what the bot sends against the contracts: the models of knowledge.contracts and the
JSON Schemas published from them in docs/contracts/."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import jsonschema

from knowledge.contracts import PAYLOADS, SCHEMA_DIR, payload_model


def schema_of(name: str) -> Dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def check_payload(payload: Dict[str, Any]) -> Dict[str, Any]:
    """`payload` (a `custom` message) if it keeps the contract; raises otherwise."""
    model = payload_model(payload)
    model.parse_obj(payload)
    name = next(name for name, candidate in PAYLOADS.items() if candidate is model)
    jsonschema.validate(payload, schema_of(name))
    return payload


def check_custom_messages(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Every custom payload among dispatcher or REST messages, each checked."""
    payloads = [m.get("custom") if "custom" in m else m.get("json_message") for m in messages]
    return [check_payload(p) for p in payloads if p]
