"""What the assistant sends and saves, as typed models: the `custom` payloads of its replies
(`source`, `classification`, `plan`, `export`) and the saved plan with its goals.

The JSON Schemas in `docs/contracts/` are generated from these models:
`python -m knowledge.contracts` writes them, `python -m knowledge.contracts --check` fails when
they are out of date (a test runs it). Tests validate what the bot sends against the models.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Literal, Optional, Type, Union

from pydantic import BaseModel, Field, constr, root_validator

from knowledge import ASPECTS, LANGUAGES, PLAN_ID_PATTERN, PLAN_VIEWS, PLANS

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "contracts"
Language = Literal[LANGUAGES]
SourceId = constr(regex=rf"^(({'|'.join(ASPECTS)})/({'|'.join(PLAN_VIEWS)})|faq/[a-z][a-z0-9_]*)$")
PlanId = constr(regex=rf"^{PLAN_ID_PATTERN}$")


class Contract(BaseModel):
    class Config:
        extra = "forbid"

        @staticmethod
        def schema_extra(schema, model) -> None:
            # pydantic 1 leaves `null` out of the schema of an Optional field
            for name, field in model.__fields__.items():
                if field.allow_none and name in schema.get("properties", {}):
                    schema["properties"][name] = {"anyOf": [schema["properties"][name], {"type": "null"}]}


# ---- answers -----------------------------------------------------------------------------------


class Source(Contract):
    id: SourceId = Field(..., description="<aspect>/<plan> or faq/<id>")
    section: str = Field(..., description="the guide section the answer comes from")


class SourcePayload(Contract):
    """Sent with every answer from the knowledge base; `fallback` when it declines."""

    source: Optional[Source]
    fallback: Optional[Literal[True]]
    language: Language

    @root_validator(skip_on_failure=True)
    def fallback_without_source(cls, values):
        if (values.get("source") is None) != bool(values.get("fallback")):
            raise ValueError("a payload has either a source or fallback: true")
        return values


# ---- goals -------------------------------------------------------------------------------------


class Reason(Contract):
    signal: str
    plan: Literal["sales", "marketing", "outside"]
    section: str
    text: str


class Classification(Contract):
    goal: str
    plan: Literal["sales", "marketing", "both", "unclear"]
    reasons: List[Reason]


class ClassificationPayload(Contract):
    """Sent for every goal sorted: while a plan is built, and for a single goal outside it ("is this a sales goal?")."""

    classification: Classification


class Goal(Contract):
    number: int = Field(..., ge=1, description="as the user refers to it (\"remove goal 2\")")
    text: str
    clarification: Optional[str]
    plan: Literal["sales", "marketing", "both"]
    reasons: List[Reason]


class SetAsideGoal(Contract):
    text: str
    clarification: Optional[str]
    reasons: List[Reason]


# ---- the plan ----------------------------------------------------------------------------------


class Horizon(Contract):
    text: str
    term: Optional[Literal["short_term", "long_term", "mixed"]]
    not_sure: bool


class Budget(Contract):
    text: str
    amount: Optional[float]
    currency: Optional[str]
    not_sure: bool


class Fact(Contract):
    value: str
    section: str
    text: str


class Tools(Contract):
    section: Optional[str]
    items: List[str]


class PlanPart(Contract):
    id: Literal[PLANS]
    name: str
    goals: List[int] = Field(..., description="numbers of the goals in this plan")
    facts: Dict[str, Fact]
    tools: Tools


class Entry(Contract):
    id: str
    section: str
    text: str


class SalesComponent(Contract):
    id: Optional[str]
    section: Optional[str]
    text: Optional[str]
    list_section: Optional[str]
    items: List[str]
    goals: List[int]


class Plan(Contract):
    """A drafted plan: what the user gave and the guide's facts for each plan with goals."""

    format: Literal[1]
    language: Language
    business: Optional[str]
    horizon: Optional[Horizon]
    budget: Optional[Budget]
    goals: List[Goal]
    set_aside: List[SetAsideGoal]
    plans: List[PlanPart]
    combining: Optional[Entry]
    sales_component: SalesComponent


class SavedPlan(Plan):
    """A saved plan as sent in chat and printed by `advisor plan export --format json`."""

    id: PlanId
    created_at: datetime


class PlanPayload(Contract):
    """Sent with a drafted or shown plan (a plan that could not be saved has no id)."""

    plan: Union[SavedPlan, Plan]
    language: Language


class Export(Contract):
    format: Literal["md"] = Field(..., description="the document's format: Markdown")
    filename: constr(regex=rf"^plan-{PLAN_ID_PATTERN}\.md$") = Field(..., description="plan-<saved plan id>.md")
    content: str = Field(..., description="the Markdown document, as shown in chat")


class ExportPayload(Contract):
    """Sent with an exported saved plan: the document the widget offers to download."""

    export: Export
    language: Language


PAYLOADS: Dict[str, Type[Contract]] = {
    "source": SourcePayload,
    "classification": ClassificationPayload,
    "plan": PlanPayload,
    "export": ExportPayload,
    "saved_plan": SavedPlan,
}


def payload_model(payload: Dict) -> Type[Contract]:
    """The model of a `custom` payload, by its key."""
    for key in ("source", "classification", "plan", "export"):
        if key in payload:
            return PAYLOADS[key]
    raise ValueError(f"not a payload of the contract: {sorted(payload)}")


def schemas() -> Dict[str, str]:
    """File name -> JSON Schema text, for docs/contracts/."""
    return {f"{name}.schema.json": json.dumps(model.schema(), indent=2, ensure_ascii=False) + "\n"
            for name, model in PAYLOADS.items()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write the JSON Schemas of docs/contracts/ from the models.")
    parser.add_argument("--check", action="store_true", help="fail if the published schemas are out of date")
    args = parser.parse_args(argv)
    stale = [name for name, text in schemas().items()
             if not (SCHEMA_DIR / name).is_file() or (SCHEMA_DIR / name).read_text(encoding="utf-8") != text]
    if args.check:
        for name in stale:
            print(f"docs/contracts/{name} is out of date: run `python -m knowledge.contracts`", file=sys.stderr)
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(schemas())} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
