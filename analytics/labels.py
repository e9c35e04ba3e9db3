"""The report's words outside its template (analytics/templates/labels.yml), read once."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Dict

import yaml


@functools.lru_cache(maxsize=1)
def labels() -> Dict[str, Any]:
    """The words, by group (`outcomes`, `funnel`, `axes`, `transcript_notes`, ...). Treat as read-only."""
    text = resources.files("analytics").joinpath("templates").joinpath("labels.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)
