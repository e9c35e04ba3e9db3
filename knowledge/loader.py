"""Read, validate and load the content files of `knowledge/content/`.

`read_content` parses every file and checks schema and completeness, collecting every problem
with its file, line and entry. `load_content` replaces the knowledge-base tables in one
transaction, so a failed load leaves the previous content in place. User data tables are not
touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Tuple, Type

from pydantic import BaseModel

from knowledge import ASPECTS, FAQS, LANGUAGES, PLAN_VIEWS, PLANS, schema
from knowledge.validation import ContentError, Context, Problem, check, read_yaml

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["Content", "ContentError", "Problem", "load_content", "read_content"]

REQUIRED_FAQS = tuple(f"faq/{faq}" for faq in FAQS)
# Structured documents stored as they are, each with its model and how deep its entry names go.
DOCUMENTS: Dict[str, Tuple[Type[BaseModel], int]] = {
    "classifier": (schema.Rules, 1),
    "drafting": (schema.DraftingFile, 2),
}


@dataclass
class Content:
    sections: List[Dict[str, Any]] = field(default_factory=list)
    entries: List[Dict[str, Any]] = field(default_factory=list)
    plans: List[Dict[str, Any]] = field(default_factory=list)
    terms: Dict[str, Dict[str, Dict[str, List[str]]]] = field(default_factory=dict)
    documents: Dict[str, Any] = field(default_factory=dict)

    def export(self) -> Dict[str, Any]:
        """The whole knowledge base as plain JSON-able data."""
        return {
            "sections": self.sections,
            "entries": self.entries,
            "plans": self.plans,
            "terms": self.terms,
            "documents": self.documents,
        }


class _Reader:
    """Reads the files of one content folder against their models, collecting every problem."""

    def __init__(self, content_dir: Path) -> None:
        self.dir = content_dir
        self.problems: List[Problem] = []
        self.context = Context()

    def name(self, file: Path) -> str:
        try:
            return str(file.relative_to(self.dir.parent.parent))
        except ValueError:
            return str(file)

    def read(self, file: Path, model: Type[BaseModel], entry_depth: int = 1) -> Tuple[Any, Any]:
        """(the file as `model` or None, the parsed data)."""
        data, problems = read_yaml(file, self.name(file))
        if data is None:
            self.problems += problems
            return None, None
        parsed, problems = check(model, data, self.name(file), entry_depth=entry_depth, ctx=self.context)
        self.problems += problems
        return parsed, data


def read_content(content_dir: Path) -> Content:
    """Parse and validate every content file; raise ContentError listing every problem."""
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        raise ContentError([Problem(str(content_dir), None, None, "content folder not found")])
    reader = _Reader(content_dir)
    content = Content()
    _read_sections(reader, content)
    _read_entries(reader, content)
    _read_plans(reader, content)
    _read_terms(reader, content)
    _read_documents(reader, content)
    if not reader.problems:
        _check_completeness(reader, content)
    if reader.problems:
        raise ContentError(reader.problems)
    return content


def _read_sections(reader: _Reader, content: Content) -> None:
    """sections.yml; the section ids it gives are what the later files are checked against."""
    sections, _ = reader.read(reader.dir / "sections.yml", schema.SectionsFile)
    for position, section in enumerate(sections.sections if sections else ()):
        content.sections.append({"id": section.id, "aspect": section.aspect, "position": position,
                                 "title": section.title.dict()})
    reader.context.sections = {s["id"]: s["aspect"] for s in content.sections} if sections else None


def _read_entries(reader: _Reader, content: Content) -> None:
    """The answers (answers/*.yml), then the FAQ entries (faq.yml)."""
    answer_files = sorted((reader.dir / "answers").glob("*.yml"))
    if not answer_files:
        reader.problems.append(Problem(reader.name(reader.dir / "answers"), None, None, "no answer files found"))
    for file in answer_files:
        answers, _ = reader.read(file, schema.AnswersFile)
        for answer in answers.entries if answers else ():
            content.entries.append({"id": answer.id, "kind": "answer", "aspect": answer.aspect, "plan": answer.plan,
                                    "section": answer.section, "text": answer.text.dict()})
    faqs, _ = reader.read(reader.dir / "faq.yml", schema.FaqFile)
    for faq in faqs.entries if faqs else ():
        content.entries.append({"id": faq.id, "kind": "faq", "aspect": None, "plan": None, "section": faq.section,
                                "text": faq.text.dict(), "question": faq.question.dict()})


def _read_plans(reader: _Reader, content: Content) -> None:
    plans, _ = reader.read(reader.dir / "plans.yml", schema.PlansFile)
    for plan in plans.plans if plans else ():
        content.plans.append({
            "id": plan.id,
            "name": plan.name.dict(),
            "facts": plan.facts.dict(),
            "lists": {name: {"section": spec.section, "items": [item.dict() for item in spec.items]}
                      for name, spec in plan.lists.items()},
        })


def _read_terms(reader: _Reader, content: Content) -> None:
    terms, _ = reader.read(reader.dir / "terms.yml", schema.TermsFile)
    if terms:
        kinds = {"aspects": "aspect", "plans": "plan", "references": "reference", "languages": "language",
                 "plan_hints": "plan_hint"}
        content.terms = {kinds[group]: targets for group, targets in terms.dict().items()}


def _read_documents(reader: _Reader, content: Content) -> None:
    """The structured documents (`DOCUMENTS`) that are present, stored as JSON-able data."""
    for name, (model, depth) in DOCUMENTS.items():
        file = reader.dir / f"{name}.yml"
        if file.is_file():
            document, data = reader.read(file, model, entry_depth=depth)
            if document:
                content.documents[name] = json.loads(json.dumps(data))


def _check_completeness(reader: _Reader, content: Content) -> None:
    ids = {e["id"] for e in content.entries}
    answers_dir = reader.name(reader.dir / "answers")
    expected = ["overview/both"] + [f"{a}/{p}" for a in ASPECTS if a != "overview" for p in PLAN_VIEWS]
    for entry_id in expected + list(REQUIRED_FAQS):
        if entry_id not in ids:
            where = reader.name(reader.dir / "faq.yml") if entry_id.startswith("faq/") else answers_dir
            reader.problems.append(Problem(where, None, entry_id, "missing entry"))
    cited = {e["section"] for e in content.entries}
    for section in content.sections:
        if section["id"] not in cited:
            reader.problems.append(
                Problem(reader.name(reader.dir / "sections.yml"), None, section["id"], "no entry cites this section")
            )
    for plan_id in PLANS:
        if plan_id not in {p["id"] for p in content.plans}:
            reader.problems.append(Problem(reader.name(reader.dir / "plans.yml"), None, plan_id, "missing plan"))


def load_content(content: Content, session: Session) -> None:
    """Replace the knowledge-base tables with `content`, inside the caller's transaction."""
    # Imported here: reading and checking the content (`advisor kb validate`) needs no database,
    # and SQLAlchemy with the models is a third of that command's start-up.
    from sqlalchemy import delete

    from knowledge import models as m

    for table in m.KNOWLEDGE_TABLES:
        session.execute(delete(table))
    for section in content.sections:
        session.add(m.Section(id=section["id"], aspect=section["aspect"], position=section["position"]))
    session.flush()
    for section in content.sections:
        for lang, title in section["title"].items():
            session.add(m.SectionTitle(section_id=section["id"], lang=lang, title=title))
    for entry in content.entries:
        session.add(
            m.Entry(id=entry["id"], kind=entry["kind"], aspect=entry["aspect"], plan=entry["plan"], section_id=entry["section"])
        )
    session.flush()
    for entry in content.entries:
        for lang in LANGUAGES:
            question = entry.get("question", {}).get(lang)
            session.add(m.EntryText(entry_id=entry["id"], lang=lang, question=question, text=entry["text"][lang]))
    for plan in content.plans:
        for lang, name in plan["name"].items():
            session.add(m.PlanName(plan_id=plan["id"], lang=lang, name=name))
        for key, fact in plan["facts"].items():
            for lang in LANGUAGES:
                session.add(
                    m.PlanFact(plan_id=plan["id"], key=key, lang=lang, value=fact["value"],
                               section_id=fact["section"], text=fact[lang])
                )
        for list_name, spec in plan["lists"].items():
            for position, item in enumerate(spec["items"]):
                for lang in LANGUAGES:
                    session.add(
                        m.PlanItem(plan_id=plan["id"], list_name=list_name, item_id=item["id"], lang=lang,
                                   position=position, section_id=spec["section"], label=item[lang])
                    )
    for kind, targets in content.terms.items():
        for target, by_lang in targets.items():
            for lang, phrases in by_lang.items():
                for phrase in dict.fromkeys(phrases):
                    session.add(m.Term(kind=kind, target=target, lang=lang, phrase=phrase))
    for name, body in content.documents.items():
        session.add(m.Document(name=name, body=body))
    session.add(m.Meta(key="loaded_at", value=datetime.now(timezone.utc).isoformat()))
