"""The HTML report: one self-contained file (inline CSS and SVG charts, no script, no network)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from jinja2 import Environment, PackageLoader, select_autoescape

from analytics import charts
from analytics.labels import labels
from analytics.report import MAX_TRANSCRIPT_MESSAGES, MAX_TRANSCRIPTS

MAX_GROUPS = 150
"""Failed-question groups listed per language (newest first); `advisor review export` has all."""


def _environment() -> Environment:
    return Environment(loader=PackageLoader("analytics", "templates"), autoescape=select_autoescape(["html"]))


def render(report: Dict[str, Any], transcripts: Dict[str, List[Dict[str, Any]]]) -> str:
    words = labels()
    axes, outcomes, funnel = words["axes"], words["outcomes"], words["funnel"]
    drawn = {
        "daily": charts.daily(report["days"], outcomes, axes["user_messages"]) if report["days"] else "",
        "languages": charts.languages(report["languages"], words["languages"], outcomes, axes["user_messages"])
        if report["languages"] else "",
        "topics": charts.horizontal([t["id"] for t in report["topics"][:charts.MAX_BARS]],
                                    [t["count"] for t in report["topics"][:charts.MAX_BARS]],
                                    "topics", charts.COLORS["funnel"], axes["answers_given"]) if report["topics"] else "",
        "votes": charts.votes(report["feedback"]["by_answer"], axes) if report["feedback"]["by_answer"] else "",
        "funnel": charts.horizontal(list(funnel.values()), [report["plans"][key] for key in funnel],
                                    "funnel", charts.COLORS["funnel"], axes["plan_buildings"]),
    }
    by_language: Dict[str, List[Dict[str, Any]]] = {}
    hidden: Dict[str, int] = {}
    for group in report["unanswered"]:
        listed = by_language.setdefault(group["language"], [])
        if len(listed) < MAX_GROUPS:
            listed.append(group)
        else:
            hidden[group["language"]] = hidden.get(group["language"], 0) + 1
    for messages in transcripts.values():
        for message in messages:
            message["when"] = datetime.fromtimestamp(message["time"], timezone.utc).strftime("%Y-%m-%d %H:%M")
    names = {lang: words["languages"].get(lang, lang) for lang in by_language}
    # a column heading per language of the table (English where the language has none of its own)
    headings = {lang: {column: table.get(lang, table["en"]) for column, table in words["failed_questions"].items()}
                for lang in by_language}
    return _environment().get_template("report.html").render(
        r=report, charts=drawn, unanswered=sorted(by_language.items(), key=lambda item: item[0] != "pl"),
        transcripts=transcripts, names=names, hidden=hidden, headings=headings,
        max_transcripts=MAX_TRANSCRIPTS, max_messages=MAX_TRANSCRIPT_MESSAGES,
    )
