"""Scripted conversations for the report: the events the assistant writes, built from Rasa's own
event classes with the payloads its actions send (checked against a real run: README, "What
every answer sends"), and written to a tracker store through Rasa's `SQLTrackerStore`.

Used by tests/unit/test_report*.py, tests/browser/test_report.py, bench/report_bench.py and
docs/report.png.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
import json
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Sequence

from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet, UserUttered

from knowledge.contracts import payload_model

SOURCES = {  # answer id -> guide section
    "overview/both": "1", "definition/sales": "2", "definition/marketing": "2", "goals/sales": "3",
    "goals/marketing": "3", "scope/both": "4", "team/marketing": "5", "team/sales": "5",
    "budget/marketing": "6", "budget/sales": "6", "evaluation/both": "7", "combining/both": "8",
    "faq/difference_sales_marketing": "faq1", "faq/marketing_plan_includes_sales": "faq2",
}
SAVED_ID = "11111111-2222-4333-8444-555555555555"
METADATA = {"model_id": "0123456789abcdef0123456789abcdef", "assistant_id": "plan-advisor"}


def _checked(payload: Dict[str, Any]) -> Dict[str, Any]:
    """`payload` if it keeps its contract (knowledge.contracts); raises otherwise."""
    payload_model(payload).parse_obj(payload)
    return payload


def _data(buttons: Optional[List[Dict[str, str]]] = None, custom: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {"elements": None, "quick_replies": None, "buttons": buttons, "attachment": None, "image": None, "custom": custom}


class Script:
    """One conversation (a sender id), turn by turn, one second per event."""

    def __init__(self, sender: str, start: float, lang: str = "pl") -> None:
        self.sender = sender
        self.time = start
        self.lang = lang
        self.events: List[Event] = []
        self.session()

    def _t(self) -> float:
        self.time += 1.0
        return self.time

    def session(self, start: Optional[float] = None) -> "Script":
        if start is not None:
            self.time = start
        self.action("action_session_start", policy=None)
        self.events.append(SessionStarted(timestamp=self._t(), metadata=dict(METADATA)))
        self.action("action_listen", policy=None)
        return self

    def action(self, name: str, policy: Optional[str] = "RulePolicy") -> None:
        self.events.append(ActionExecuted(name, policy=policy, confidence=1.0, timestamp=self._t(), metadata=dict(METADATA)))

    def bot(self, text: Optional[str], custom: Optional[Dict[str, Any]] = None,
            buttons: Optional[List[Dict[str, str]]] = None, utter: Optional[str] = None) -> None:
        metadata = dict(METADATA)
        if utter:
            metadata["utter_action"] = utter
        self.events.append(BotUttered(text, _data(buttons, custom), metadata, timestamp=self._t()))

    def user(self, text: str, intent: str, lang: Optional[str] = None, entities: Sequence[Dict[str, Any]] = (),
             confidence: float = 0.93) -> None:
        lang = lang or self.lang
        if lang != self.lang:
            self.lang = lang
        intent_data = {"name": intent, "confidence": confidence}
        parse_data = {"intent": intent_data, "entities": list(entities), "text": text, "message_id": None,
                      "metadata": {}, "intent_ranking": [intent_data], "language": lang}
        self.events.append(UserUttered(text, intent_data, list(entities), parse_data, timestamp=self._t(),
                                       input_channel="rest", metadata=dict(METADATA)))
        self.events.append(SlotSet("language", lang, timestamp=self._t()))

    def listen(self) -> None:
        self.action("action_listen")

    # -- turns -------------------------------------------------------------------------------
    def ask(self, text: str, answer: str, lang: Optional[str] = None) -> "Script":
        """A question answered from the knowledge base (action_answer_question)."""
        aspect = answer.split("/")[0]
        intent = f"faq_{answer[4:]}" if answer.startswith("faq/") else f"ask_{aspect}"
        self.user(text, intent, lang)
        self.action("action_answer_question")
        self.bot(f"({answer}) ...")
        self.bot(None, {"source": {"id": answer, "section": SOURCES.get(answer, "1")}, "language": self.lang})
        self.events.append(SlotSet("aspect", aspect, timestamp=self._t()))
        self.listen()
        return self

    def did_you_mean(self, text: str, lang: Optional[str] = None, suggestions: Sequence[str] = ("definition",)) -> "Script":
        """A low-confidence message: topics offered as buttons (action_did_you_mean)."""
        self.user(text, "nlu_fallback", lang, confidence=0.3)
        self.action("action_did_you_mean")
        buttons = [{"title": f"topic {s}", "payload": f'/ask_{s}{{"aspect":"{s}","plan":"both"}}'} for s in suggestions]
        self.bot("Did you mean one of these?", buttons=buttons, utter="utter_did_you_mean")
        self.bot(None, {"source": None, "fallback": True, "language": self.lang}, utter="utter_fallback_payload")
        self.listen()
        return self

    def not_understood(self, text: str, lang: Optional[str] = None) -> "Script":
        """A low-confidence message with nothing to suggest: utter_default (a decline)."""
        self.user(text, "nlu_fallback", lang, confidence=0.3)
        self.action("action_did_you_mean")
        self.bot("Sorry, I didn't get that.", {"source": None, "fallback": True, "language": self.lang}, utter="utter_default")
        self.listen()
        return self

    def decline(self, text: str, lang: Optional[str] = None, suggestions: Sequence[str] = ()) -> "Script":
        """A question outside the guide (rule out_of_scope -> action_decline), with the topics it
        most likely meant as buttons when it used the guide's words (`suggestions`)."""
        self.user(text, "out_of_scope", lang)
        self.action("action_decline")
        buttons = [{"title": f"topic {s}", "payload": f'/ask_{s}{{"aspect":"{s}","plan":"both"}}'} for s in suggestions]
        self.bot("Sorry, that is outside what I can help with.",
                 {"source": None, "fallback": True, "language": self.lang}, buttons=buttons or None, utter="utter_decline")
        self.listen()
        return self

    def handoff(self, text: str, lang: Optional[str] = None) -> "Script":
        """A request for a person (rule ask_human -> action_offer_handoff, actions/handoff.py)."""
        self.user(text, "ask_human", lang)
        self.action("action_offer_handoff")
        self.bot("No contact person has been configured for this assistant.",
                 {"source": None, "fallback": True, "language": self.lang, "handoff": True},
                 utter="utter_handoff_unconfigured")
        self.listen()
        return self

    def chitchat(self, text: str, intent: str = "greet", lang: Optional[str] = None) -> "Script":
        self.user(text, intent, lang)
        self.action(f"utter_{intent}")
        self.bot("Hello!", utter=f"utter_{intent}")
        self.listen()
        return self

    def vote(self, source: str, value: str, comment: Optional[str] = None) -> "Script":
        """A 👍/👎 (the feedback contract: `/feedback{...}`, intent `feedback`)."""
        payload = {"source": source, "value": value, **({"comment": comment} if comment else {})}
        text = "/feedback" + json.dumps(payload, ensure_ascii=False)
        entities = [{"entity": k, "value": v, "start": 0, "end": len(text)} for k, v in payload.items()]
        self.user(text, "feedback", self.lang, entities, confidence=1.0)
        self.action("action_feedback")
        self.bot("Thanks!", utter="utter_feedback_thanks")
        self.listen()
        return self

    def plan(self, goals: Sequence[str] = ("sales",), draft: bool = True, saved: bool = True, export: bool = False) -> "Script":
        """Plan building: start, business, goals (each classified), done, horizon, budget, draft."""
        self.user("pomóż mi ułożyć plan" if self.lang == "pl" else "help me build a plan", "start_plan")
        self.action("action_start_plan")
        self.bot("Let's build a plan.", utter="utter_plan_intro")
        self.action("plan_form")
        self.events.append(ActiveLoop("plan_form", timestamp=self._t()))
        self.bot("What does your company sell?", utter="utter_ask_business")
        self.listen()
        self.user("meble biurowe", "out_of_scope")
        self.action("plan_form")
        self.bot("Your first goal?", utter="utter_ask_goal")
        self.listen()
        for n, verdict in enumerate(goals):
            self.user(f"cel numer {n + 1}", "state_goal")
            self.action("plan_form")
            self.bot(f"Goal {n + 1}: {verdict}.")
            self.bot(None, {"classification": {"goal": f"cel numer {n + 1}", "plan": verdict, "reasons": []}})
            self.listen()
        if not draft:
            return self
        for text, intent in (("to wszystko", "goals_done"), ("3 lata", "nlu_fallback"), ("50 tys. zł", "state_goal")):
            self.user(text, intent)
            self.action("plan_form")
            self.bot("Next question.")
            if intent == "state_goal":
                self.events.append(ActiveLoop(None, timestamp=self._t()))
                break
            self.listen()
        self.action("action_present_draft")
        self.bot("Here is the draft.", utter="utter_draft_intro")
        self.bot(None, {"source": {"id": "combining/both", "section": "8"}, "language": self.lang})
        plan = {"id": SAVED_ID} if saved else {}
        plan.update({"language": self.lang, "business": "meble biurowe"})
        self.bot(None, {"plan": plan, "language": self.lang})
        self.bot("Saved." if saved else "Not saved.", utter="utter_draft_saved" if saved else "utter_plan_not_saved")
        self.listen()
        if export:
            self.user("eksportuj plan", "export_plan")
            self.action("action_export_plan")
            self.bot("# Plan", utter=None)
            self.bot(None, _checked({"export": {"format": "md", "filename": f"plan-{SAVED_ID}.md",
                                                     "content": "# Plan: meble biurowe\n"}, "language": self.lang}))
            self.listen()
        return self


def save_scripts(url: str, scripts: Iterable[Script]) -> None:
    """Write the conversations through Rasa's own SQLTrackerStore (it creates the table)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    store = SQLTrackerStore(dialect=parsed.drivername, host=parsed.host, port=parsed.port, db=parsed.database,
                            username=parsed.username, password=parsed.password)
    async def save_all() -> None:
        for script in scripts:
            await store.save(DialogueStateTracker.from_events(script.sender, script.events, []))

    try:  # in a thread of its own: the caller may be inside an event loop (Playwright's)
        with ThreadPoolExecutor(max_workers=1) as executor:
            executor.submit(asyncio.run, save_all()).result()
    finally:
        store.engine.dispose()


def event_rows(sender: str, events: Iterable[Event]) -> List[Dict[str, Any]]:
    """The rows Rasa's SQLTrackerStore.save writes for these events (for bulk inserts)."""
    rows = []
    for event in events:
        data = event.as_dict()
        rows.append({
            "sender_id": sender, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"), "data": json.dumps(data),
        })
    return rows


# -- the scripted set the report tests check figure by figure ---------------------------------
DAY1 = datetime(2026, 11, 28, 9, tzinfo=timezone.utc).timestamp()
DAY2 = DAY1 + 86400
DAY3 = DAY2 + 86400
AFTERNOON = 5 * 3600


def scripted() -> List[Script]:
    """Six conversations over three days, two languages; tests/integration/test_report.py
    lists the figures they give, worked out by hand."""
    a = Script("rest:anna", DAY1, "pl")
    a.ask("jaki budżet ma plan marketingowy?", "budget/marketing").vote("budget/marketing", "down", "brak liczb")
    a.decline("jak upiec chleb?").did_you_mean("plan")
    b = Script("rest:bob", DAY1 + AFTERNOON, "en")
    b.ask("Who carries out the marketing plan?", "team/marketing").vote("team/marketing", "up")
    b.decline("what's the weather in Paris?")
    c = Script("intranet:42", DAY2, "pl")
    c.chitchat("cześć").decline("Jak upiec chleba").ask("kto realizuje plan sprzedaży?", "team/sales")
    c.plan(["sales", "unclear", "marketing"], draft=True, saved=True, export=True)
    d = Script("rest:dora", DAY2 + AFTERNOON, "en")
    d.plan(["both"], draft=False).not_understood("hmm")
    e = Script("rest:eve", DAY3, "en")
    e.did_you_mean("What is the weather in Paris").ask("Who carries out the marketing plan?", "team/marketing")
    e.vote("team/marketing", "down", "too vague").vote("budget/marketing", "down")
    f = Script("rest:fay", DAY3 + AFTERNOON, "pl")
    f.plan(["marketing"], draft=True, saved=False).plan([], draft=False)
    f.user('/feedback{"source": "team/sales"}', "feedback", entities=[{"entity": "source", "value": "team/sales"}])
    f.listen()
    return [a, b, c, d, e, f]


# -- a large, varied store (benchmark, screenshot) --------------------------------------------
PL_QUESTIONS = [("jaki budżet ma plan marketingowy?", "budget/marketing"), ("kto realizuje plan sprzedaży?", "team/sales"),
                ("czym się różni plan sprzedaży od marketingowego?", "overview/both"), ("jak ocenić plan marketingowy", "evaluation/both")]
EN_QUESTIONS = [("Who carries out the marketing plan?", "team/marketing"), ("what is a sales plan", "definition/sales"),
                ("how do I combine the two plans?", "combining/both")]
PL_FAILED = ["jak upiec chleb?", "Jak upiec chleba", "ile kosztuje licencja CRM?", "gdzie jest stołówka", "plan na urlop"]
EN_FAILED = ["what's the weather in Paris?", "What is the weather in Paris", "how do I reset my password", "pricing of the CRM"]


def generated_scripts(target_events: int, days: int = 30, end: float = 1_796_000_000.0, seed: int = 7) -> List[Script]:
    """Random but realistic conversations until about `target_events` events."""
    rng = random.Random(seed)
    scripts: List[Script] = []
    total = 0
    n = 0
    while total < target_events:
        lang = "pl" if rng.random() < 0.6 else "en"
        start = end - rng.random() * days * 86400
        script = Script(f"rest:user-{n}", start, lang)
        questions, failed = (PL_QUESTIONS, PL_FAILED) if lang == "pl" else (EN_QUESTIONS, EN_FAILED)
        for _ in range(rng.randint(2, 8)):
            roll = rng.random()
            if roll < 0.55:
                text, answer = rng.choice(questions)
                script.ask(text, answer)
                if rng.random() < 0.15:
                    value = "up" if rng.random() < 0.6 else "down"
                    comment = ("za mało konkretów" if lang == "pl" else "too vague") if value == "down" else None
                    script.vote(answer, value, comment if rng.random() < 0.5 else None)
            elif roll < 0.7:
                script.decline(rng.choice(failed))
            elif roll < 0.8:
                script.did_you_mean(rng.choice(failed))
                if rng.random() < 0.4:  # the person chooses the offered topic (its button payload)
                    script.ask('/ask_definition{"aspect":"definition","plan":"both"}', "definition/both")
            elif roll < 0.9:
                script.chitchat("cześć" if lang == "pl" else "hi")
            else:
                verdicts = [rng.choice(["sales", "marketing", "both", "unclear"]) for _ in range(rng.randint(1, 3))]
                script.plan(verdicts, draft=rng.random() < 0.7, export=rng.random() < 0.4)
        scripts.append(script)
        total += len(script.events)
        n += 1
    return scripts
