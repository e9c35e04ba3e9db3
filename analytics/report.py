"""Build the report from a tracker store: one streaming pass, then transcripts for the HTML."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from analytics.figures import ReportBuilder, conversation_ref
from analytics.labels import labels
from analytics.store import USER, engine_for, read_events, read_messages

MAX_TRANSCRIPTS = 60
MAX_TRANSCRIPT_MESSAGES = 200


def build_report(url: str, since: Optional[float] = None, lemmas: Any = None) -> Dict[str, Any]:
    if lemmas is None:
        lemmas = _project_lemmas
    engine = engine_for(url)
    try:
        builder = ReportBuilder(lemmas).add_all(read_events(engine, since))
        report = builder.result(since)
        report["_senders"] = {conversation_ref(s): s for s in builder.senders}
    finally:
        engine.dispose()
    return report


def _project_lemmas(text: str, lang: str) -> List[str]:
    """The project's lemmatiser (Morfeusz 2 / spaCy lookups), loaded only when a question needs it."""
    from language.lemmatizer import get_lemmatizer

    return get_lemmatizer().lemmas(text, lang)


def transcripts(url: str, report: Dict[str, Any], since: Optional[float] = None) -> Dict[str, List[Dict[str, Any]]]:
    """The messages of the conversations the report links to (newest failures first, capped)."""
    wanted: List[str] = []
    for group in report["unanswered"]:
        for ref in group["conversations"]:
            if ref not in wanted:
                wanted.append(ref)
    wanted = wanted[:MAX_TRANSCRIPTS]
    senders = {report["_senders"][ref]: ref for ref in wanted if ref in report["_senders"]}
    result: Dict[str, List[Dict[str, Any]]] = {ref: [] for ref in senders.values()}
    engine = engine_for(url)
    try:
        for event in read_messages(engine, list(senders), since):
            data = event.data
            if event.type_name == USER:
                message = {"from": "user", "text": data.get("text") or "", "time": event.timestamp}
            else:
                custom = (data.get("data") or {}).get("custom")
                buttons = (data.get("data") or {}).get("buttons") or []
                text = data.get("text")
                if not text and not buttons and not _describes(custom):
                    continue
                message = {"from": "bot", "text": text or "", "time": event.timestamp,
                           "buttons": [b.get("title") for b in buttons if isinstance(b, dict)],
                           "note": _describes(custom)}
            result[senders[event.sender_id]].append(message)
    finally:
        engine.dispose()
    return {ref: messages[-MAX_TRANSCRIPT_MESSAGES:] for ref, messages in result.items()}


def _describes(custom: Any) -> Optional[str]:
    """A transcript's note on a bot message's payload, in the words of labels.yml `transcript_notes`."""
    if not isinstance(custom, dict):
        return None
    notes = labels()["transcript_notes"]
    source = custom.get("source")
    if isinstance(source, dict) and source.get("id"):
        return notes["answer"].format(id=source["id"])
    if custom.get("fallback"):
        return notes["fallback"]
    if isinstance(custom.get("classification"), dict):
        return notes["classification"].format(plan=custom["classification"].get("plan"))
    if isinstance(custom.get("export"), dict):
        return notes["export"]
    if isinstance(custom.get("plan"), dict):
        return notes["plan"]
    return None


def public(report: Dict[str, Any]) -> Dict[str, Any]:
    """The report without its private sender map (what `--format json` prints)."""
    return {key: value for key, value in report.items() if not key.startswith("_")}
