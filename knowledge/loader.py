"""Read, validate and load the content files of `knowledge/content/`.

`read_content` parses every file and checks schema and completeness, collecting every problem
with its file, line and entry. `load_content` replaces the knowledge-base tables in one
transaction, so a failed load leaves the previous content in place. User data tables are not
touched.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from knowledge import ASPECTS, LANGUAGES, PLAN_VIEWS, PLANS
from knowledge import models as m

ANSWER_ID = re.compile(r"^(?P<aspect>[a-z_]+)/(?P<plan>[a-z_]+)$")
FAQ_ID = re.compile(r"^faq/[a-z][a-z0-9_]*$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
PLAN_FACT_KEYS = ("horizon", "nature", "scope", "team", "budget", "evaluation", "combining")
PLAN_LISTS = ("goals", "tools")
TERM_KINDS = {"aspects": "aspect", "plans": "plan", "languages": "language"}
REQUIRED_FAQS = ("faq/difference_sales_marketing", "faq/marketing_plan_includes_sales")


@dataclass(frozen=True)
class Problem:
    file: str
    line: Optional[int]
    entry: Optional[str]
    reason: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.entry + ': ' if self.entry else ''}{self.reason}"


class ContentError(Exception):
    """The content is invalid; `problems` says where and why."""

    def __init__(self, problems: List[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Content:
    sections: List[Dict[str, Any]] = field(default_factory=list)
    entries: List[Dict[str, Any]] = field(default_factory=list)
    plans: List[Dict[str, Any]] = field(default_factory=list)
    terms: Dict[str, Dict[str, Dict[str, List[str]]]] = field(default_factory=dict)
    documents: Dict[str, Any] = field(default_factory=dict)
    digest: str = ""

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
    """Collects problems while walking parsed YAML that keeps line numbers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: List[Problem] = []

    def problem(self, file: Path, node: Any, entry: Optional[str], reason: str, key: Any = None) -> None:
        self.problems.append(Problem(self.name(file), _line(node, key), entry, reason))

    def name(self, file: Path) -> str:
        try:
            return str(file.relative_to(self.root.parent.parent))
        except ValueError:
            return str(file)

    def parse(self, file: Path) -> Any:
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = False
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.problems.append(Problem(self.name(file), None, None, f"not valid UTF-8 ({error.reason})"))
            return None
        try:
            return yaml.load(text)
        except MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else None
            reason = " ".join(str(part) for part in (error.context, error.problem) if part)
            self.problems.append(Problem(self.name(file), line, None, f"malformed YAML: {reason}"))
        except Exception as error:  # ruamel raises several unrelated types for broken input
            self.problems.append(Problem(self.name(file), None, None, f"malformed YAML: {error}"))
        return None

    def mapping(self, file: Path, node: Any, entry: Optional[str], what: str) -> bool:
        if isinstance(node, dict):
            return True
        self.problem(file, node, entry, f"{what} must be a mapping")
        return False

    def text(self, file: Path, node: Any, key: str, entry: Optional[str]) -> Optional[str]:
        value = node.get(key) if isinstance(node, dict) else None
        if not isinstance(value, str) or not value.strip():
            self.problem(file, node, entry, f"'{key}' must be a non-empty text", key)
            return None
        return value.strip()

    def bilingual(self, file: Path, node: Any, key: str, entry: Optional[str]) -> Optional[Dict[str, str]]:
        value = node.get(key) if isinstance(node, dict) else None
        if not isinstance(value, dict):
            self.problem(file, node, entry, f"'{key}' must map each language ({', '.join(LANGUAGES)}) to a text", key)
            return None
        result = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.problem(file, value, entry, f"'{key}' has no {lang} text", lang if lang in value else None)
            else:
                result[lang] = text.strip()
        for extra in value:
            if extra not in LANGUAGES:
                self.problem(file, value, entry, f"'{key}' has an unknown language '{extra}'", extra)
        return result if len(result) == len(LANGUAGES) else None


def _line(node: Any, key: Any = None) -> Optional[int]:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is not None and isinstance(node, dict) and key in node:
            return lc.key(key)[0] + 1
        if key is not None and isinstance(node, list) and isinstance(key, int):
            return lc.item(key)[0] + 1
    except (KeyError, IndexError, TypeError):
        pass
    return lc.line + 1


def read_content(content_dir: Path) -> Content:
    """Parse and validate every content file; raise ContentError listing every problem."""
    content_dir = Path(content_dir)
    reader = _Reader(content_dir)
    content = Content()
    if not content_dir.is_dir():
        raise ContentError([Problem(str(content_dir), None, None, "content folder not found")])
    files = sorted(content_dir.rglob("*.yml")) + sorted(content_dir.rglob("*.yaml"))
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(file.relative_to(content_dir)).encode())
        digest.update(file.read_bytes())
    content.digest = digest.hexdigest()

    sections_file = content_dir / "sections.yml"
    _read_sections(reader, sections_file, content)
    section_aspects = {s["id"]: s["aspect"] for s in content.sections}
    answer_files = sorted((content_dir / "answers").glob("*.yml"))
    if not answer_files:
        reader.problems.append(Problem(reader.name(content_dir / "answers"), None, None, "no answer files found"))
    seen_ids: Dict[str, str] = {}
    for file in answer_files + [content_dir / "faq.yml"]:
        _read_entries(reader, file, content, section_aspects, seen_ids)
    _read_plans(reader, content_dir / "plans.yml", content, section_aspects)
    _read_terms(reader, content_dir / "terms.yml", content)
    _read_documents(reader, content_dir, content, section_aspects)
    if not reader.problems:
        _check_completeness(reader, content_dir, content)
    if reader.problems:
        raise ContentError(reader.problems)
    return content


def _load_file(reader: _Reader, file: Path, top_key: str) -> Any:
    if not file.is_file():
        reader.problems.append(Problem(reader.name(file), None, None, "file not found"))
        return None
    data = reader.parse(file)
    if data is None:
        if not any(p.file == reader.name(file) for p in reader.problems):
            reader.problems.append(Problem(reader.name(file), None, None, "file is empty"))
        return None
    if not isinstance(data, dict) or top_key not in data:
        reader.problem(file, data, None, f"expected a top-level '{top_key}' key")
        return None
    return data[top_key]


def _read_sections(reader: _Reader, file: Path, content: Content) -> None:
    items = _load_file(reader, file, "sections")
    if items is None:
        return
    if not isinstance(items, list):
        reader.problem(file, items, None, "'sections' must be a list")
        return
    seen = set()
    for position, node in enumerate(items):
        if not reader.mapping(file, node, None, "a section"):
            continue
        section_id = node.get("id")
        if not isinstance(section_id, (str, int)) or not str(section_id).strip():
            reader.problem(file, node, None, "a section needs an 'id'")
            continue
        section_id = str(section_id)
        if section_id in seen:
            reader.problem(file, node, section_id, "duplicate section id")
            continue
        seen.add(section_id)
        aspect = reader.text(file, node, "aspect", section_id)
        title = reader.bilingual(file, node, "title", section_id)
        if aspect and title:
            content.sections.append({"id": section_id, "aspect": aspect, "position": position, "title": title})


def _read_entries(reader, file: Path, content: Content, section_aspects: Dict[str, str], seen_ids: Dict[str, str]) -> None:
    items = _load_file(reader, file, "entries")
    if items is None:
        return
    if not isinstance(items, list):
        reader.problem(file, items, None, "'entries' must be a list")
        return
    is_faq = file.name == "faq.yml"
    for node in items:
        if not reader.mapping(file, node, None, "an entry"):
            continue
        entry_id = node.get("id")
        if not isinstance(entry_id, str):
            reader.problem(file, node, None, "an entry needs an 'id'")
            continue
        entry = {"id": entry_id, "kind": "faq" if is_faq else "answer", "aspect": None, "plan": None}
        if is_faq:
            if not FAQ_ID.match(entry_id):
                reader.problem(file, node, entry_id, "an FAQ id must look like faq/<snake_case>", "id")
                continue
        else:
            match = ANSWER_ID.match(entry_id)
            if not match or match["aspect"] not in ASPECTS or match["plan"] not in PLAN_VIEWS:
                reader.problem(
                    file, node, entry_id,
                    f"an answer id must be <aspect>/<plan> with aspect in {', '.join(ASPECTS)} "
                    f"and plan in {', '.join(PLAN_VIEWS)}", "id",
                )
                continue
            entry["aspect"], entry["plan"] = match["aspect"], match["plan"]
        if entry_id in seen_ids:
            reader.problem(file, node, entry_id, f"duplicate id (first defined in {seen_ids[entry_id]})", "id")
            continue
        seen_ids[entry_id] = f"{reader.name(file)}:{_line(node)}"
        section = node.get("section")
        section = str(section) if section is not None else None
        if section not in section_aspects:
            reader.problem(file, node, entry_id, f"unknown section {section!r}", "section")
            continue
        expected_aspect = entry_id if is_faq else entry["aspect"]
        if section_aspects[section] != expected_aspect:
            reader.problem(
                file, node, entry_id,
                f"section {section} is about '{section_aspects[section]}', not '{expected_aspect}'", "section",
            )
            continue
        text = reader.bilingual(file, node, "text", entry_id)
        question = reader.bilingual(file, node, "question", entry_id) if is_faq else None
        if text is None or (is_faq and question is None):
            continue
        entry.update(section=section, text=text)
        if question:
            entry["question"] = question
        content.entries.append(entry)


def _read_plans(reader, file: Path, content: Content, section_aspects: Dict[str, str]) -> None:
    items = _load_file(reader, file, "plans")
    if items is None:
        return
    if not isinstance(items, list):
        reader.problem(file, items, None, "'plans' must be a list")
        return
    for node in items:
        if not reader.mapping(file, node, None, "a plan"):
            continue
        plan_id = node.get("id")
        if plan_id not in PLANS:
            reader.problem(file, node, str(plan_id), f"plan id must be one of {', '.join(PLANS)}", "id")
            continue
        plan = {"id": plan_id, "name": reader.bilingual(file, node, "name", plan_id), "facts": {}, "lists": {}}
        facts = node.get("facts")
        if reader.mapping(file, facts if facts is not None else node, plan_id, "'facts'"):
            for key in PLAN_FACT_KEYS:
                fact = facts.get(key) if isinstance(facts, dict) else None
                where = f"{plan_id}.facts.{key}"
                if not isinstance(fact, dict):
                    reader.problem(file, facts, where, "missing fact")
                    continue
                value = reader.text(file, fact, "value", where)
                section = str(fact.get("section"))
                if section not in section_aspects:
                    reader.problem(file, fact, where, f"unknown section {section!r}", "section")
                texts = {lang: reader.text(file, fact, lang, where) for lang in LANGUAGES}
                if value and section in section_aspects and all(texts.values()):
                    plan["facts"][key] = {"value": value, "section": section, **texts}
        lists = node.get("lists") or {}
        for list_name, spec in lists.items():
            where = f"{plan_id}.lists.{list_name}"
            if not SNAKE.match(str(list_name)) or not isinstance(spec, dict) or not isinstance(spec.get("items"), list):
                reader.problem(file, lists, where, "a list needs a snake_case name, a section and items", list_name)
                continue
            section = str(spec.get("section"))
            if section not in section_aspects:
                reader.problem(file, spec, where, f"unknown section {section!r}", "section")
                continue
            items_out = []
            for item in spec["items"]:
                item_id = item.get("id") if isinstance(item, dict) else None
                if not isinstance(item_id, str) or not SNAKE.match(item_id):
                    reader.problem(file, item, where, "an item needs a snake_case 'id'")
                    continue
                texts = {lang: reader.text(file, item, lang, f"{where}.{item_id}") for lang in LANGUAGES}
                if all(texts.values()):
                    items_out.append({"id": item_id, **texts})
            plan["lists"][str(list_name)] = {"section": section, "items": items_out}
        for list_name in PLAN_LISTS:
            if list_name not in plan["lists"]:
                reader.problem(file, node, plan_id, f"missing list '{list_name}'")
        content.plans.append(plan)


def _read_terms(reader, file: Path, content: Content) -> None:
    data = _load_file(reader, file, "aspects")
    if data is None:
        return
    root = reader.parse(file)
    required = {"aspects": ASPECTS, "plans": PLANS, "languages": LANGUAGES}
    for group, kind in TERM_KINDS.items():
        targets = root.get(group)
        if not isinstance(targets, dict):
            reader.problem(file, root, None, f"missing '{group}' mapping")
            continue
        content.terms[kind] = {}
        for target in required[group]:
            if target not in targets:
                reader.problem(file, targets, f"{group}.{target}", "no terms")
        for target, by_lang in targets.items():
            where = f"{group}.{target}"
            if target not in required[group]:
                reader.problem(file, targets, where, f"unknown {kind} (expected one of {', '.join(required[group])})", target)
                continue
            if not isinstance(by_lang, dict):
                reader.problem(file, targets, where, "must map each language to a list of terms", target)
                continue
            content.terms[kind][target] = {}
            for lang in LANGUAGES:
                phrases = by_lang.get(lang)
                if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
                    reader.problem(file, by_lang, where, f"needs a non-empty list of {lang} terms", lang if lang in by_lang else None)
                    continue
                content.terms[kind][target][lang] = [p.strip() for p in phrases]


def _read_documents(reader, content_dir: Path, content: Content, section_aspects: Dict[str, str]) -> None:
    """Structured documents other modules validate themselves (classifier rules, drafting labels)."""
    from knowledge.classifier import validate_rules  # the classifier owns its schema
    from knowledge.drafting import validate_drafting  # the plan drafting owns its labels and words

    for name, validate in (("classifier", validate_rules), ("drafting", validate_drafting)):
        file = content_dir / f"{name}.yml"
        if not file.is_file():
            continue
        data = reader.parse(file)
        if data is None:
            continue
        for problem in validate(data, set(section_aspects)):
            reader.problems.append(Problem(reader.name(file), problem.line, problem.entry, problem.reason))
        content.documents[name] = json.loads(json.dumps(data))


def _check_completeness(reader, content_dir: Path, content: Content) -> None:
    ids = {e["id"] for e in content.entries}
    answers_dir = reader.name(content_dir / "answers")
    expected = ["overview/both"] + [f"{a}/{p}" for a in ASPECTS if a != "overview" for p in PLAN_VIEWS]
    for entry_id in expected + list(REQUIRED_FAQS):
        if entry_id not in ids:
            where = reader.name(content_dir / "faq.yml") if entry_id.startswith("faq/") else answers_dir
            reader.problems.append(Problem(where, None, entry_id, "missing entry"))
    cited = {e["section"] for e in content.entries}
    for section in content.sections:
        if section["id"] not in cited:
            reader.problems.append(
                Problem(reader.name(content_dir / "sections.yml"), None, section["id"], "no entry cites this section")
            )
    for plan_id in PLANS:
        if plan_id not in {p["id"] for p in content.plans}:
            reader.problems.append(Problem(reader.name(content_dir / "plans.yml"), None, plan_id, "missing plan"))


def load_content(content: Content, session: Session) -> None:
    """Replace the knowledge-base tables with `content`, inside the caller's transaction."""
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
    session.add(m.Meta(key="content_digest", value=content.digest))
    session.add(m.Meta(key="loaded_at", value=datetime.now(timezone.utc).isoformat()))
