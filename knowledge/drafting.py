"""Drafting a plan from the user's sorted goals, and writing it out as Markdown.

`build_plan` turns what the user gave (business, classified goals, horizon, budget) into the
structured plan that is saved and exported: for each plan with goals, its goals and the
guide's facts about it (horizon, tools, team, budget, evaluation), then how the two plans
work together and the sales component of a marketing plan. Every text in it comes from the
user or from the knowledge base; `render_markdown` adds only the labels of
`knowledge/content/drafting.yml` (loaded as the `drafting` document), in the plan's language.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from knowledge import PLANS
from knowledge.schema import DraftingFile
from knowledge.validation import Problem, check

FORMAT_VERSION = 1
DOCUMENT = "drafting"
PLAN_FACTS = ("horizon", "team", "budget", "evaluation")
COMBINING_ENTRY = ("combining", "both")
SALES_COMPONENT_FAQ = "faq/marketing_plan_includes_sales"
SALES_COMPONENT_LIST = "sales_component"


# ---- the content document ------------------------------------------------------------------


def validate_drafting(doc: Any) -> List[Problem]:
    """Every problem in the drafting document (empty when it is valid)."""
    return check(DraftingFile, doc, entry_depth=2)[1]


class Drafting:
    """The labels and word lists of the drafting document, per language."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        problems = validate_drafting(document)
        if problems:
            raise ValueError("invalid drafting document: " + "; ".join(f"{p.entry}: {p.reason}" for p in problems))
        self._document = document

    def labels(self, lang: str) -> "Labels":
        return Labels({key: str(texts[lang]) for key, texts in self._document["labels"].items()})

    def references(self, lang: str) -> Dict[str, Any]:
        return {key: value[lang] for key, value in self._document["goal_references"].items()}

    def periods(self, lang: str) -> List[str]:
        return [str(word) for word in self._document["periods"][lang]]

    def multipliers(self, lang: str) -> Dict[str, float]:
        return {str(word): float(value) for word, value in self._document["budget"]["multipliers"][lang].items()}

    def currencies(self) -> Dict[str, List[str]]:
        return {str(code): [str(name) for name in names] for code, names in self._document["budget"]["currencies"].items()}


class Labels:
    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = texts

    def __call__(self, key: str, **values: Any) -> str:
        return self._texts[key].format(**values) if values else self._texts[key]


def drafting_from_repository(repository: Any) -> Drafting:
    from knowledge.repository import KnowledgeBaseEmpty

    document = repository.document(DOCUMENT)
    if document is None:
        raise KnowledgeBaseEmpty("the knowledge base has no drafting labels; run `advisor kb load`")
    try:
        return Drafting(document)
    except ValueError as error:  # loaded by an older version of the content
        raise KnowledgeBaseEmpty(f"{error}; run `advisor kb load`") from None


# ---- the structured plan -------------------------------------------------------------------


def build_plan(
    repository: Any,
    language: str,
    business: Optional[str],
    goals: Sequence[Mapping[str, Any]],
    set_aside: Sequence[Mapping[str, Any]],
    horizon: Optional[Mapping[str, Any]],
    budget: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    """The plan to save: the user's input plus the knowledge base's facts for each plan with goals.

    `goals` are {text, plan, reasons[, clarification]} with plan "sales", "marketing" or "both";
    `set_aside` are {text, reasons[, clarification]}.
    """
    numbered = [{"number": i, **_goal_fields(goal)} for i, goal in enumerate(goals, start=1)]
    plans = []
    for plan_id in PLANS:
        members = [g["number"] for g in numbered if g["plan"] in (plan_id, "both")]
        if not members:
            continue
        facts = repository.plan_facts(plan_id, language)
        if facts is None:
            raise LookupError(f"the knowledge base has no facts for the {plan_id} plan")
        plans.append({
            "id": plan_id,
            "name": facts.name,
            "goals": members,
            "facts": {
                key: {"value": facts.facts[key].value, "section": facts.facts[key].section, "text": facts.facts[key].text}
                for key in PLAN_FACTS
                if key in facts.facts
            },
            "tools": {
                "section": facts.list_sections.get("tools"),
                "items": [item.label for item in facts.lists.get("tools", ())],
            },
        })
    combining = repository.answer(*COMBINING_ENTRY, language)
    faq = repository.faq(SALES_COMPONENT_FAQ, language)
    marketing = repository.plan_facts("marketing", language)
    component = marketing.lists.get(SALES_COMPONENT_LIST, ()) if marketing else ()
    return {
        "format": FORMAT_VERSION,
        "language": language,
        "business": business,
        "horizon": dict(horizon) if horizon else None,
        "budget": dict(budget) if budget else None,
        "goals": numbered,
        "set_aside": [_goal_fields(goal, with_plan=False) for goal in set_aside],
        "plans": plans,
        "combining": _entry(combining),
        "sales_component": {
            **(_entry(faq) or {}),
            "list_section": marketing.list_sections.get(SALES_COMPONENT_LIST) if marketing else None,
            "items": [item.label for item in component],
            "goals": [g["number"] for g in numbered if g["plan"] in ("sales", "both")],
        },
    }


def _goal_fields(goal: Mapping[str, Any], with_plan: bool = True) -> Dict[str, Any]:
    fields: Dict[str, Any] = {"text": goal["text"]}
    if goal.get("clarification"):
        fields["clarification"] = goal["clarification"]
    if with_plan:
        fields["plan"] = goal["plan"]
    fields["reasons"] = [dict(reason) for reason in goal.get("reasons") or []]
    return fields


def _entry(answer: Any) -> Optional[Dict[str, str]]:
    if answer is None:
        return None
    return {"id": answer.id, "section": answer.section, "text": answer.text}


# ---- Markdown ------------------------------------------------------------------------------


def render_markdown(
    body: Mapping[str, Any],
    labels: Labels,
    section_titles: Mapping[str, str],
    plan_id: Optional[str] = None,
    created_at: Optional[datetime] = None,
) -> List[str]:
    """The plan as Markdown blocks (one chat message each; joined by blank lines for a file)."""
    cite = _citer(labels, section_titles)
    blocks = [_header(body, labels, plan_id, created_at)]
    goals = {goal["number"]: goal for goal in body.get("goals") or []}
    horizon = body.get("horizon") or {}
    for plan in body.get("plans") or []:
        blocks.append(_plan_block(plan, goals, horizon, labels, cite))
    combining = body.get("combining")
    if combining:
        blocks.append(f"## {labels('combining')}\n\n{combining['text']} {cite(combining['section'])}")
    component = body.get("sales_component") or {}
    if component.get("text"):
        has_marketing_plan = any(p["id"] == "marketing" for p in body.get("plans") or [])
        blocks.append(_sales_component_block(component, goals, has_marketing_plan, labels, cite))
    aside = body.get("set_aside") or []
    if aside:
        lines = [f"## {labels('set_aside')}", "", labels("set_aside_note"), ""]
        lines.extend("- " + _goal_line(goal, None, labels, cite) for goal in aside)
        blocks.append("\n".join(lines))
    return blocks


def _plan_block(
    plan: Mapping[str, Any], goals: Mapping[int, Mapping[str, Any]], horizon: Mapping[str, Any], labels: Labels, cite
) -> str:
    """One plan: its goals, then the guide's facts about it."""
    lines = [f"## {_capitalised(plan['name'])}", "", f"**{labels('goals')}**"]
    for number in plan["goals"]:
        lines.append("- " + _goal_line(goals[number], plan["id"], labels, cite))
    lines += ["", f"**{labels('from_guide')}**"]
    facts = plan.get("facts") or {}
    if "horizon" in facts:
        lines.append(f"- **{labels('horizon')}:** {facts['horizon']['text']} {cite(facts['horizon']['section'])}")
        note = _horizon_note(plan["id"], horizon, labels)
        if note:
            lines.append(f"  {note}")
    tools = plan.get("tools") or {}
    if tools.get("items"):
        lines.append(f"- **{labels('tools')}:** {', '.join(tools['items'])} {cite(tools.get('section'))}")
    for key in ("team", "budget", "evaluation"):
        if key in facts:
            lines.append(f"- **{labels(key)}:** {facts[key]['text']} {cite(facts[key]['section'])}")
    return "\n".join(lines).rstrip()


def _sales_component_block(
    component: Mapping[str, Any], goals: Mapping[int, Mapping[str, Any]], has_marketing_plan: bool, labels: Labels, cite
) -> str:
    """The sales component of a marketing plan, with the user's goals that belong to it."""
    lines = [f"## {labels('sales_component')}", "", f"{component['text']} {cite(component.get('section'))}"]
    if component.get("items"):
        lines.append("")
        lines.extend(f"- {item}" for item in component["items"])
    if component.get("goals") and has_marketing_plan:
        texts = ", ".join(labels("quoted", text=goals[n]["text"]) for n in component["goals"] if n in goals)
        lines.extend(["", labels("sales_component_goals", goals=texts)])
    return "\n".join(lines)


def render_progress(
    business: Optional[str],
    goals: Sequence[Mapping[str, Any]],
    set_aside: Sequence[Mapping[str, Any]],
    pending: Optional[str],
    labels: Labels,
    plan_names: Mapping[str, str],
) -> str:
    """The goals of a plan still being built, numbered as "remove goal 2" refers to them."""
    lines = [f"**{labels('title_in_progress', business=business or labels('untitled'))}**", ""]
    for number, goal in enumerate(goals, start=1):
        verdict = labels("in_progress_both") if goal["plan"] == "both" else labels(
            "in_progress_plan", plan=plan_names.get(goal["plan"], goal["plan"]))
        lines.append(f"{number}. {_goal_text(goal, labels)} {verdict}")
    if pending:
        lines.append(f"- {pending} {labels('in_progress_pending')}")
    for goal in set_aside:
        lines.append(f"- {_goal_text(goal, labels)} {labels('in_progress_set_aside')}")
    if not goals and not pending and not set_aside:
        lines.append(labels("no_goals_yet"))
    return "\n".join(lines)


def markdown_document(blocks: Iterable[str]) -> str:
    return "\n\n".join(blocks).rstrip() + "\n"


def chat_text(block: str) -> str:
    """A block for one chat bubble: Rasa's channels split a text at every blank line."""
    return re.sub(r"\n\s*\n", "\n", block.strip())


def _header(body: Mapping[str, Any], labels: Labels, plan_id: Optional[str], created_at: Optional[datetime]) -> str:
    lines = [f"# {labels('title', business=body.get('business') or labels('untitled'))}"]
    if plan_id and created_at:
        lines += ["", labels("meta", date=created_at.date().isoformat(), id=plan_id)]
    lines += ["", labels("horizon_and_budget", horizon=_answer_text(body.get("horizon"), labels),
                         budget=_answer_text(body.get("budget"), labels))]
    return "\n".join(lines)


def _answer_text(answer: Optional[Mapping[str, Any]], labels: Labels) -> str:
    """The horizon or budget as the user gave it, or why there is none."""
    if not answer:
        return labels("not_given")
    return labels("not_decided") if answer.get("not_sure") else str(answer.get("text"))


def _horizon_note(plan_id: str, horizon: Mapping[str, Any], labels: Labels) -> Optional[str]:
    term = horizon.get("term")
    if plan_id == "sales" and term == "long_term":
        return labels("horizon_long_for_sales", horizon=horizon.get("text"))
    if plan_id == "marketing" and term == "short_term":
        return labels("horizon_short_for_marketing", horizon=horizon.get("text"))
    return None


def _goal_text(goal: Mapping[str, Any], labels: Labels) -> str:
    text = f"**{goal['text']}**"
    if goal.get("clarification"):
        text += f" ({labels('clarified', answer=goal['clarification'])})"
    return text


def _goal_line(goal: Mapping[str, Any], plan_id: Optional[str], labels: Labels, cite) -> str:
    """The goal, marked when both plans share it, with the reason that puts it in `plan_id`."""
    line = _goal_text(goal, labels)
    if plan_id and goal.get("plan") == "both":
        line += f" _({labels('shared_goal')})_"
    reasons = goal.get("reasons") or []
    reason = next((r for r in reasons if r.get("plan") == plan_id), None) if plan_id else None
    reason = reason or (reasons[0] if reasons else None)
    if reason:
        line += f" – {reason['text']} {cite(reason.get('section'))}"
    return line


def _citer(labels: Labels, section_titles: Mapping[str, str]):
    def cite(section: Optional[str]) -> str:
        title = section_titles.get(str(section)) if section is not None else None
        return f"_({labels('source', title=title)})_" if title else ""

    return cite


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---- saved plans -----------------------------------------------------------------------------


def section_titles(repository: Any, lang: str) -> Dict[str, str]:
    return {topic.section: topic.title for topic in repository.topics(lang)}


def render_saved(stored: Any, repository: Any, drafting: Drafting) -> List[str]:
    """A saved plan (knowledge.plans.StoredPlan) as Markdown blocks, in the plan's language."""
    lang = stored.language
    return render_markdown(stored.body, drafting.labels(lang), section_titles(repository, lang),
                           plan_id=stored.id, created_at=stored.created_at)


def plan_json(stored: Any) -> Dict[str, Any]:
    """The structured plan as sent in chat and exported: its id and date, then the saved body."""
    return {"id": stored.id, "created_at": stored.created_at.isoformat(), **dict(stored.body)}
