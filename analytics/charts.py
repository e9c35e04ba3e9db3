"""The report's charts: matplotlib (Agg) drawn to inline SVG, text kept as text."""

from __future__ import annotations

import io
import re
from typing import Any, Dict, Iterable, List, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"answered": "#2e7d32", "did_you_mean": "#f9a825", "declined": "#c62828", "other": "#90a4ae",
          "up": "#2e7d32", "down": "#c62828", "funnel": "#1565c0"}
OUTCOMES = ("answered", "did_you_mean", "declined", "other")
"""The stacked bars of the message charts, bottom (left) first; "other" is what none of the rest counts."""
MAX_BARS = 12
"""The most bars a ranking chart draws (topics, votes per answer): the rest is in the tables."""
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def _svg(fig: Any, name: str) -> str:
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    # ids unique per chart (several SVGs share one page), size from the page's CSS
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{name}-{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{name}-{m.group(1)}"', svg)
    return _SIZE.sub(r'<svg\1 class="chart" data-chart="%s"' % name, svg, count=1)


def _outcome_values(rows: Iterable[Dict[str, Any]], key: str) -> List[int]:
    """Each row's count of `key` (one of OUTCOMES)."""
    if key == "other":
        return [row["messages"] - row["answered"] - row["did_you_mean"] - row["declined"] for row in rows]
    return [row[key] for row in rows]


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)


def daily(days: List[Dict[str, Any]], outcomes: Dict[str, str], ylabel: str) -> str:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    dates = [d["date"][5:] for d in days]
    bottom = [0] * len(days)
    for key in OUTCOMES:
        values = _outcome_values(days, key)
        ax.bar(dates, values, bottom=bottom, color=COLORS[key], label=outcomes[key], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False, ncol=4, loc="upper left", bbox_to_anchor=(0, 1.18))
    if len(dates) > 12:
        step = max(1, len(dates) // 10)
        ax.set_xticks(range(0, len(dates), step))
        ax.set_xticklabels(dates[::step])
    _style(ax)
    return _svg(fig, "daily")


def horizontal(labels: Sequence[str], values: Sequence[float], name: str, color: str, xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(labels), 2) + 0.8))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, values, color=color)
    ax.set_yticks(positions)
    ax.set_yticklabels(labels)
    for y, value in zip(positions, values):
        ax.text(value, y, f" {value:g}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    _style(ax)
    return _svg(fig, name)


def languages(by_language: Dict[str, Dict[str, int]], names: Dict[str, str], outcomes: Dict[str, str],
              xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(by_language), 2) + 0.7))
    langs = list(by_language)
    left = [0] * len(langs)
    positions = list(range(len(langs)))[::-1]
    for key in OUTCOMES:
        values = _outcome_values(by_language.values(), key)
        ax.barh(positions, values, left=left, color=COLORS[key], label=outcomes[key])
        left = [a + v for a, v in zip(left, values)]
    ax.set_yticks(positions)
    ax.set_yticklabels([names.get(lang, lang) for lang in langs])
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, frameon=False, ncol=4, loc="upper left", bbox_to_anchor=(0, 1.3))
    _style(ax)
    return _svg(fig, "languages")


def votes(by_answer: Dict[str, Dict[str, Any]], axes: Dict[str, str], limit: int = MAX_BARS) -> str:
    ranked = sorted(by_answer, key=lambda s: (-(by_answer[s]["up"] + by_answer[s]["down"]), s))[:limit]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(ranked), 2) + 0.8))
    positions = list(range(len(ranked)))[::-1]
    ax.barh(positions, [by_answer[s]["up"] for s in ranked], color=COLORS["up"], label=axes["up"])
    ax.barh(positions, [-by_answer[s]["down"] for s in ranked], color=COLORS["down"], label=axes["down"])
    ax.axvline(0, color="#455a64", linewidth=0.8)
    ax.set_yticks(positions)
    ax.set_yticklabels(ranked)
    ax.set_xlabel(axes["votes"])
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="lower right")
    _style(ax)
    return _svg(fig, "votes")
