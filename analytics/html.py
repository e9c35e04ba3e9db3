"""The HTML report: one self-contained file (inline CSS and SVG charts, no script, no network)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from jinja2 import Environment, PackageLoader, select_autoescape

from analytics import charts
from analytics.report import MAX_TRANSCRIPT_MESSAGES, MAX_TRANSCRIPTS

# English, with Polish labels where the data is Polish.
NAMES = {"pl": "Polish · po polsku", "en": "English"}
QUESTION = {"pl": "question · pytanie", "en": "question"}
COUNT = {"pl": "times · razy", "en": "times"}
OUTCOME = {"pl": "reply · odpowiedź", "en": "reply"}
LAST = {"pl": "last asked · ostatnio", "en": "last asked"}
CONVERSATIONS = {"pl": "conversations · rozmowy", "en": "conversations"}
MAX_GROUPS = 150
"""Failed-question groups listed per language (newest first); `advisor review export` has all."""
FUNNEL = (("started", "started"), ("first_goal", "first goal"), ("drafted", "draft"), ("saved", "saved"), ("exported", "exported"))


def _environment() -> Environment:
    return Environment(loader=PackageLoader("analytics", "templates"), autoescape=select_autoescape(["html"]))


def render(report: Dict[str, Any], transcripts: Dict[str, List[Dict[str, Any]]]) -> str:
    drawn = {
        "daily": charts.daily(report["days"]) if report["days"] else "",
        "languages": charts.languages(report["languages"], NAMES) if report["languages"] else "",
        "topics": charts.horizontal([t["id"] for t in report["topics"][:12]], [t["count"] for t in report["topics"][:12]],
                                    "topics", charts.COLORS["funnel"], "answers given") if report["topics"] else "",
        "votes": charts.votes(report["feedback"]["by_answer"]) if report["feedback"]["by_answer"] else "",
        "funnel": charts.horizontal([label for _, label in FUNNEL], [report["plans"][key] for key, _ in FUNNEL],
                                    "funnel", charts.COLORS["funnel"], "plan buildings"),
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
    names = {lang: NAMES.get(lang, lang) for lang in by_language}
    return _environment().get_template("report.html").render(
        r=report, charts=drawn, unanswered=sorted(by_language.items(), key=lambda item: item[0] != "pl"),
        transcripts=transcripts, names=names, hidden=hidden, question_label=_labels(QUESTION, by_language),
        count_label=_labels(COUNT, by_language), outcome_label=_labels(OUTCOME, by_language),
        last_label=_labels(LAST, by_language), conversations_label=_labels(CONVERSATIONS, by_language),
        max_transcripts=MAX_TRANSCRIPTS, max_messages=MAX_TRANSCRIPT_MESSAGES,
    )


def _labels(table: Dict[str, str], languages: Dict[str, Any]) -> Dict[str, str]:
    return {lang: table.get(lang, table["en"]) for lang in languages}
