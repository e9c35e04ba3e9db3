"""The report's figures, computed in one pass over the tracker store's events.

How a turn (a user message and the bot events up to the next one) is read, from the payloads
the assistant sends (README, "What every answer sends"):
- did-you-mean: a bot message with buttons of likely topics, from `action_did_you_mean`
  (`utter_did_you_mean`) or from a decline that offers them (`action_decline`, `utter_decline`):
  either way a click on a topic answers the question;
- answered: a `{"source": {"id": ...}}` payload (not the sources cited by a plan draft);
- declined: a `{"source": null, "fallback": true}` payload and neither of the above;
- a request for a person (`"handoff": true` on that payload, actions/handoff.py) is none of
  these: the assistant did what was asked, so it is no failed question.
A feedback vote (`/feedback{"source", "value", "comment"}`, intent `feedback`) is counted as a
vote, not as a message. Conversations are sender ids (shown only as pseudonymous refs).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from analytics.grouping import Asked, Group, Lemmas, group_questions
from analytics.store import ACTION, BOT, USER, StoredEvent

FEEDBACK_INTENT = "feedback"
FEEDBACK_PREFIX = "/feedback"
DID_YOU_MEAN_ACTION = "action_did_you_mean"
DID_YOU_MEAN_RESPONSE = "utter_did_you_mean"
DECLINE_ACTION = "action_decline"
START_PLAN_ACTION = "action_start_plan"
DRAFT_ACTION = "action_present_draft"
UNCLEAR = "unclear"
MAX_COMMENTS = 20
MAX_QUESTIONS = 10


def conversation_ref(sender_id: str) -> str:
    """A stable pseudonym for a conversation: reports never show employee ids."""
    return "c" + hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:10]


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).date().isoformat()


def iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


@dataclass
class _Turn:
    text: str
    language: Optional[str]
    timestamp: float
    buttons: bool = False
    sources: List[str] = field(default_factory=list)
    fallback: bool = False
    handoff: bool = False
    reply_language: Optional[str] = None

    @property
    def outcome(self) -> Optional[str]:
        if self.buttons:
            return "did_you_mean"
        if self.sources:
            return "answered"
        if self.handoff:
            return None
        if self.fallback:
            return "declined"
        return None


@dataclass
class _Attempt:
    """One plan building, from `action_start_plan` on."""

    first_goal: bool = False
    drafted: bool = False
    saved: bool = False
    exported: bool = False


@dataclass
class _Conversation:
    action: Optional[str] = None
    turn: Optional[_Turn] = None
    attempt: Optional[_Attempt] = None
    language: Optional[str] = None
    """The language of the latest question (a vote's own text says little about it)."""
    answered_by: Dict[str, str] = field(default_factory=dict)
    """The latest question each answer id answered in this conversation."""
    offered: Optional[Asked] = None
    """The question of a did-you-mean turn just before: a button press answers it."""


def _counts() -> Dict[str, int]:
    return {"messages": 0, "answered": 0, "did_you_mean": 0, "declined": 0}


class ReportBuilder:
    """Feed events oldest first (`add`), then `result()`."""

    def __init__(self, lemmas: Lemmas) -> None:
        self.lemmas = lemmas
        self.conversations: Dict[str, _Conversation] = {}
        self.totals = _counts()
        self.by_language: Dict[str, Dict[str, int]] = defaultdict(_counts)
        self.days: Dict[str, Dict[str, Any]] = {}
        self.day_senders: Dict[str, set] = defaultdict(set)
        self.day_language: Dict[str, Dict[str, Dict[str, int]]] = defaultdict(lambda: defaultdict(_counts))
        self.language_senders: Dict[str, set] = defaultdict(set)
        self.senders: set = set()
        self.topics: Counter = Counter()
        self.failed: List[Asked] = []
        self.votes: Dict[str, Dict[str, Any]] = {}
        self.up = self.down = 0
        self.attempts: List[_Attempt] = []
        self.classified = self.unclear = 0
        self.accepted = 0
        self.first: Optional[float] = None
        self.last: Optional[float] = None

    # -- events -----------------------------------------------------------------------------
    def add_all(self, events: Iterable[StoredEvent]) -> "ReportBuilder":
        for event in events:
            self.add(event)
        return self

    def add(self, event: StoredEvent) -> None:
        conversation = self.conversations.get(event.sender_id)
        if conversation is None:
            conversation = self.conversations[event.sender_id] = _Conversation()
        if event.type_name == ACTION:
            conversation.action = event.action_name
            if event.action_name == START_PLAN_ACTION:
                conversation.attempt = _Attempt()
                self.attempts.append(conversation.attempt)
            elif event.action_name == DRAFT_ACTION and conversation.attempt is not None:
                conversation.attempt.drafted = True
        elif event.type_name == USER:
            self._close_turn(event.sender_id, conversation)
            self._user(event, conversation)
        elif event.type_name == BOT:
            self._bot(event.data, conversation)

    def _user(self, event: StoredEvent, conversation: _Conversation) -> None:
        data = event.data
        parse = data.get("parse_data") or {}
        text = data.get("text") or ""
        if (parse.get("intent") or {}).get("name") == FEEDBACK_INTENT or text.startswith(FEEDBACK_PREFIX + "{"):
            vote = _vote(parse, text)
            if vote is not None:  # a malformed vote is neither a vote nor a question
                self._vote(vote, conversation.language or parse.get("language"), event.timestamp, conversation)
            return
        conversation.turn = _Turn(text=text, language=parse.get("language"), timestamp=event.timestamp)
        conversation.language = parse.get("language") or conversation.language

    def _bot(self, data: Dict[str, Any], conversation: _Conversation) -> None:
        payload = (data.get("data") or {})
        custom = payload.get("custom")
        action = conversation.action
        turn = conversation.turn
        if turn is not None:
            utter = (data.get("metadata") or {}).get("utter_action")
            if payload.get("buttons") and (action in (DID_YOU_MEAN_ACTION, DECLINE_ACTION) or utter == DID_YOU_MEAN_RESPONSE):
                turn.buttons = True
        if not isinstance(custom, dict):
            return
        if turn is not None:
            turn.reply_language = turn.reply_language or custom.get("language")
            source = custom.get("source")
            if isinstance(source, dict) and source.get("id") and action != DRAFT_ACTION:
                turn.sources.append(str(source["id"]))
            elif source is None and custom.get("fallback"):
                turn.fallback = True
                turn.handoff = turn.handoff or bool(custom.get("handoff"))
        attempt = conversation.attempt
        if attempt is None:
            return
        classification = custom.get("classification")
        if isinstance(classification, dict):
            attempt.first_goal = True
            self.classified += 1
            self.unclear += classification.get("plan") == UNCLEAR
        plan = custom.get("plan")
        if isinstance(plan, dict) and action == DRAFT_ACTION:
            attempt.drafted = True
            attempt.saved = attempt.saved or bool(plan.get("id"))
        if isinstance(custom.get("export"), dict) and attempt.saved:
            attempt.exported = True

    def _close_turn(self, sender_id: str, conversation: _Conversation) -> None:
        turn = conversation.turn
        if turn is None:
            return
        conversation.turn = None
        lang = turn.language or turn.reply_language or "pl"
        day = day_of(turn.timestamp)
        self.first = turn.timestamp if self.first is None else min(self.first, turn.timestamp)
        self.last = turn.timestamp if self.last is None else max(self.last, turn.timestamp)
        self.senders.add(sender_id)
        self.day_senders[day].add(sender_id)
        self.language_senders[lang].add(sender_id)
        outcome = turn.outcome
        offered, conversation.offered = conversation.offered, None
        question = turn.text
        if offered is not None and outcome == "answered" and turn.text.startswith("/"):
            # a did-you-mean button (its payload is the message): the answer is to the question asked
            offered.accepted = True
            self.accepted += 1
            question = offered.text
        for counts in (self.totals, self.by_language[lang], self.day_language[day][lang]):
            counts["messages"] += 1
            if outcome:
                counts[outcome] += 1
        if outcome == "answered":
            source = turn.sources[0]
            self.topics[source] += 1
            conversation.answered_by[source] = question
        elif outcome in ("declined", "did_you_mean"):
            asked = Asked(turn.text, lang, turn.timestamp, conversation_ref(sender_id), outcome)
            self.failed.append(asked)
            conversation.offered = asked if outcome == "did_you_mean" else None

    def _vote(self, vote: Dict[str, Any], lang: Optional[str], timestamp: float, conversation: _Conversation) -> None:
        source, value = vote["source"], vote["value"]
        entry = self.votes.setdefault(source, {"up": 0, "down": 0, "comments": [], "questions": Counter()})
        entry[value] += 1
        if value == "up":
            self.up += 1
        else:
            self.down += 1
        if vote.get("comment"):
            entry["comments"].append({"text": vote["comment"], "value": value, "language": lang, "date": day_of(timestamp)})
        question = conversation.answered_by.get(source)
        if question:
            entry["questions"][question] += 1

    # -- result -----------------------------------------------------------------------------
    def finish(self) -> None:
        for sender_id, conversation in self.conversations.items():
            self._close_turn(sender_id, conversation)

    def result(self, since: Optional[float] = None) -> Dict[str, Any]:
        self.finish()
        groups = group_questions(self.failed, self.lemmas)
        return {
            "since": iso(since),
            "generated": iso(datetime.now(timezone.utc).timestamp()),
            "first_message": iso(self.first),
            "last_message": iso(self.last),
            "conversations": len(self.senders),
            **self.totals,
            "unanswered_total": self.totals["declined"] + self.totals["did_you_mean"],
            "did_you_mean_accepted": self.accepted,
            "languages": {
                lang: {"conversations": len(self.language_senders[lang]), **counts}
                for lang, counts in sorted(self.by_language.items())
            },
            "days": self._days(),
            "topics": [{"id": s, "count": c} for s, c in sorted(self.topics.items(), key=lambda i: (-i[1], i[0]))],
            "unanswered": [_group_json(g) for g in groups],
            "feedback": self._feedback(),
            "plans": self._plans(),
        }

    def _days(self) -> List[Dict[str, Any]]:
        """Per day: conversations and the message counts, in total and per language."""
        days = []
        for day in sorted(self.day_senders):
            languages = {lang: dict(counts) for lang, counts in sorted(self.day_language[day].items())}
            total = _counts()
            for counts in languages.values():
                for key in total:
                    total[key] += counts[key]
            days.append({"date": day, "conversations": len(self.day_senders[day]), **total, "languages": languages})
        return days

    def _feedback(self) -> Dict[str, Any]:
        """The votes in total and per answer, and the answers with down votes, worst first."""
        by_answer = {}
        for source in sorted(self.votes):
            entry = self.votes[source]
            by_answer[source] = {
                "up": entry["up"], "down": entry["down"],
                "comments": entry["comments"][-MAX_COMMENTS:][::-1],
                "questions": [{"text": t, "count": c} for t, c in entry["questions"].most_common(MAX_QUESTIONS)],
            }
        worst = sorted(
            (s for s, e in by_answer.items() if e["down"]),
            key=lambda s: (-(by_answer[s]["down"] - by_answer[s]["up"]), -by_answer[s]["down"], s),
        )
        return {"up": self.up, "down": self.down, "by_answer": by_answer, "worst": worst}

    def _plans(self) -> Dict[str, Any]:
        """How far each plan building got, and how many goals were classified (and unclear)."""
        return {
            "started": len(self.attempts),
            "first_goal": sum(a.first_goal for a in self.attempts),
            "drafted": sum(a.drafted for a in self.attempts),
            "saved": sum(a.saved for a in self.attempts),
            "exported": sum(a.exported for a in self.attempts),
            "goals_classified": self.classified,
            "unclear": self.unclear,
            "unclear_share": round(self.unclear / self.classified, 4) if self.classified else None,
        }


def _group_json(group: Group) -> Dict[str, Any]:
    return {
        "text": group.text,
        "count": group.count,
        "language": group.language,
        "declined": group.kinds.get("declined", 0),
        "did_you_mean": group.kinds.get("did_you_mean", 0),
        "accepted": group.accepted,
        "last_seen": iso(group.last_seen),
        "wordings": [{"text": t, "count": c} for t, c in sorted(group.wordings.items(), key=lambda i: (-i[1], -group.latest[i[0]]))],
        "conversations": group.newest_conversations(),
    }


def _vote(parse: Dict[str, Any], text: str) -> Optional[Dict[str, Any]]:
    """A feedback vote from a user message: the `feedback` intent's entities, or (from a store
    written before the intent existed) the `/feedback{...}` payload in the text."""
    values: Dict[str, Any] = {}
    if (parse.get("intent") or {}).get("name") == FEEDBACK_INTENT:
        for entity in parse.get("entities") or []:
            if entity.get("entity") in ("source", "value", "comment"):
                values[entity["entity"]] = entity.get("value")  # the last one, as action_feedback reads it
    elif text.startswith(FEEDBACK_PREFIX + "{"):
        try:
            loaded = json.loads(text[len(FEEDBACK_PREFIX):])
        except ValueError:
            return None
        values = loaded if isinstance(loaded, dict) else {}
    else:
        return None
    if not isinstance(values.get("source"), str) or values.get("value") not in ("up", "down"):
        return None
    comment = values.get("comment")
    return {"source": values["source"], "value": values["value"],
            "comment": comment.strip() if isinstance(comment, str) and comment.strip() else None}
