"""Review: failed questions as a worklist (`advisor review export`), and the labelled worklist
added to the NLU training data (`advisor review apply`), all or nothing.

A label is an answer id from the knowledge base (`budget/marketing` -> intent `ask_budget`,
`faq/<id>` -> `faq_<id>`; the plan is read from the question's own words by the term entities),
an intent of the training data (`greet`, `start_plan`, ...), or `decline` (`out_of_scope`).
Examples are appended to the intent's `examples: |` block in data/nlu/<lang>/, the rest of each
file kept byte for byte; every file is checked with Rasa's own reader before any is replaced.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.settings import PROJECT_DIR, get_settings
from language import LANGUAGES
from language.folding import fold

DECLINE = "decline"
DECLINE_INTENT = "out_of_scope"
ANSWER_ACTION = "action_answer_question"
NLU_DIR = PROJECT_DIR / "data" / "nlu"
KNOWLEDGE_RULES = PROJECT_DIR / "data" / "rules" / "knowledge.yml"
MAX_EXAMPLE_CHARS = 300
_INTENT_LINE = re.compile(r"^(?P<indent>\s*)- intent:\s*(?P<name>[^\s#]+)\s*$")
_EXAMPLE_LINE = re.compile(r"^(?P<indent>\s+)- (?P<text>.*?)\s*$")
_ANNOTATION = re.compile(r"\[[^\]]*\]\s*[({]")


class ReviewError(Exception):
    def __init__(self, problems: List[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- export -------------------------------------------------------------------------------------
HEADER = """\
# Review worklist written by `advisor review export` on {date} (since: {since}).
# The questions below were declined or answered with did-you-mean topics; near-identical
# wordings are grouped. For each item, fill in `answer:` with one of
#   - an answer id of the knowledge base, <aspect>/<plan> or faq/<id>:
#       aspects {aspects}; plans {plans};
#       {faqs}
#     (an answer id stands for its intent: budget/marketing -> ask_budget; the plan is read
#     from the question's own words)
#   - an intent of the training data, e.g. greet, help, start_plan, state_goal
#   - decline: the assistant is right to decline it (trained as out_of_scope)
# Delete the wordings that should not be trained; leave `answer:` empty to skip an item.
# Then: advisor review apply FILE  (adds the examples to data/nlu/<lang>/, all or nothing)
# and `make run` (or `make train`) retrains the assistant.
"""


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def worklist_yaml(unanswered: List[Dict[str, Any]], since: Optional[str] = None,
                  answer_ids: Optional[Iterable[str]] = None) -> str:
    ids = sorted(answer_ids) if answer_ids is not None else sorted(_answer_ids(get_settings().content_dir))
    aspects = ", ".join(dict.fromkeys(i.split("/")[0] for i in ids if not i.startswith("faq/")))
    plans = ", ".join(dict.fromkeys(i.split("/")[1] for i in ids if not i.startswith("faq/") and "/" in i))
    faqs = ", ".join(i for i in ids if i.startswith("faq/"))
    lines = [HEADER.format(date=datetime.now(timezone.utc).date().isoformat(), since=since or "all",
                           aspects=aspects, plans=plans, faqs=faqs),
             "version: 1", "items:" if unanswered else "items: []"]
    for group in unanswered:
        kinds = ", ".join(f"{label} {group[key]}" for key, label in (("declined", "declined"), ("did_you_mean", "did you mean"))
                          if group.get(key))
        lines += [
            f"  - language: {group['language']}",
            f"    asked: {group['count']}  # {kinds}; last {str(group.get('last_seen') or '')[:10]}",
            "    questions:",
            *[f"      - {_quote(w['text'])}" for w in group.get("wordings") or [{"text": group["text"]}]],
            "    answer:",
        ]
    return "\n".join(lines) + "\n"


# -- the project's labels ---------------------------------------------------------------------
def _answer_ids(content_dir: Path) -> List[str]:
    from knowledge.service import validate

    return [entry["id"] for entry in validate(content_dir).entries]


def intent_for_answer(answer_id: str) -> str:
    if answer_id.startswith("faq/"):
        return "faq_" + answer_id[len("faq/"):]
    return "ask_" + answer_id.split("/", 1)[0]


def _answered_intents(rules_file: Path) -> set:
    """Intents that data/rules/knowledge.yml sends to the knowledge base's answer action."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(rules_file.read_text(encoding="utf-8")) or {}
    intents = set()
    for rule in data.get("rules") or []:
        steps = rule.get("steps") or []
        for first, second in zip(steps, steps[1:]):
            if "intent" in first and second.get("action") == ANSWER_ACTION:
                intents.add(first["intent"])
    return intents


def normalise(text: str) -> str:
    return fold(" ".join(text.split())).rstrip(" ?!.")


@dataclass
class _Block:
    intent: str
    file: Path
    last_line: int  # 0-based index of the block's last example line
    indent: str


@dataclass
class NluFiles:
    """The NLU files of one language: where each intent's examples are, and every example."""

    lang: str
    lines: Dict[Path, List[str]] = field(default_factory=dict)
    blocks: Dict[str, _Block] = field(default_factory=dict)
    examples: Dict[str, Tuple[str, Path, int]] = field(default_factory=dict)  # normalised -> (intent, file, line)

    @classmethod
    def read(cls, nlu_dir: Path, lang: str) -> "NluFiles":
        files = cls(lang)
        for path in sorted((nlu_dir / lang).glob("*.yml")):
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            files.lines[path] = lines
            intent, indent = None, None
            for number, line in enumerate(lines):
                match = _INTENT_LINE.match(line)
                if match:
                    intent, indent = match.group("name"), len(match.group("indent"))
                    continue
                if intent is None:
                    continue
                if line.strip() and len(line) - len(line.lstrip()) <= indent:
                    intent = None
                    continue
                example = _EXAMPLE_LINE.match(line)
                if example and len(example.group("indent")) > indent + 2:
                    files.examples.setdefault(normalise(example.group("text")), (intent, path, number + 1))
                    if intent not in files.blocks or files.blocks[intent].file == path:
                        files.blocks[intent] = _Block(intent, path, number, example.group("indent"))
        return files


# -- apply --------------------------------------------------------------------------------------
@dataclass
class Summary:
    added: Dict[Tuple[Path, str], List[str]] = field(default_factory=dict)
    duplicates: int = 0
    unlabelled: int = 0
    dry_run: bool = False

    def lines(self) -> List[str]:
        verb = "would add" if self.dry_run else "added"
        out = [f"{_relative(path)}: {verb} {len(texts)} example(s) of {intent}" for (path, intent), texts in sorted(self.added.items())]
        if self.duplicates:
            out.append(f"skipped {self.duplicates} question(s) already in the training data")
        if self.unlabelled:
            out.append(f"{self.unlabelled} item(s) without an answer were left for later")
        if not self.added:
            out.append("nothing to add")
        elif not self.dry_run:
            out.append("run `make run` (or `make train`) to retrain the assistant")
        return out


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


def _load_worklist(path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError([f"{path}: cannot read: {error}"]) from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise ReviewError([f"{path}:{line}: not valid YAML: {error.problem or error.context}"]) from None


def _line(node: Any, key: Any = None, default: int = 1) -> int:
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(key, int):
            return node.lc.item(key)[0] + 1
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return default


def apply_review(path: Path, nlu_dir: Path = NLU_DIR, content_dir: Optional[Path] = None,
                 rules_file: Path = KNOWLEDGE_RULES, dry_run: bool = False) -> Summary:
    """Validate the whole worklist, then add its labelled questions; raises ReviewError, writing nothing."""
    data = _load_worklist(path)
    problems: List[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ReviewError([f"{path}:1: expected a mapping with an `items:` list (as `advisor review export` writes it)"])
    answer_ids = set(_answer_ids(content_dir or get_settings().content_dir))
    answered = _answered_intents(rules_file)
    nlu = {lang: NluFiles.read(nlu_dir, lang) for lang in LANGUAGES}
    summary = Summary(dry_run=dry_run)
    additions = _Additions(nlu, summary)
    items = data["items"]
    for index, item in enumerate(items):
        where = f"{path}:{_line(items, index)}"
        if not isinstance(item, dict):
            problems.append(f"{where}: an item must be a mapping with language, questions and answer")
            continue
        lang = item.get("language")
        if lang not in LANGUAGES:
            problems.append(f"{path}:{_line(item, 'language', _line(items, index))}: language must be pl or en, not {lang!r}")
            continue
        label = item.get("answer")
        if label is None or (isinstance(label, str) and not label.strip()):
            summary.unlabelled += 1
            continue
        answer_line = _line(item, "answer", _line(items, index))
        label = str(label).strip()
        intent = _intent_for_label(label, answer_ids, answered, nlu[lang])
        if intent is None:
            problems.append(
                f"{path}:{answer_line}: unknown answer or intent {label!r}: use an answer id of the knowledge base "
                f"(e.g. budget/marketing, faq/difference_sales_marketing), an intent of data/nlu/{lang}/, or decline"
            )
            continue
        questions = item.get("questions")
        if not isinstance(questions, list) or not questions:
            problems.append(f"{path}:{_line(item, 'questions', answer_line)}: questions must be a non-empty list")
            continue
        for q_index, question in enumerate(questions):
            q_line = _line(questions, q_index, answer_line)
            problem = additions.add(lang, intent, question, q_line)
            if problem:
                problems.append(f"{path}:{q_line}: {problem}")
    if problems:
        raise ReviewError(problems)
    new_files = _render(nlu, additions.planned, summary)
    _check_with_rasa(new_files, nlu, additions.planned)
    if not dry_run:
        _replace_all(new_files)
    return summary


@dataclass
class _Additions:
    """The examples a worklist adds, checked against the training data and against each other."""

    nlu: Dict[str, NluFiles]
    summary: Summary
    planned: Dict[str, Dict[str, List[str]]] = field(default_factory=lambda: {lang: {} for lang in LANGUAGES})
    """language -> intent -> the new examples, in worklist order."""
    seen: Dict[Tuple[str, str], Tuple[str, int]] = field(default_factory=dict)
    """(language, normalised question) -> (intent, worklist line) of each question planned so far."""

    def add(self, lang: str, intent: str, question: Any, line: int) -> Optional[str]:
        """Plan `question` (at worklist `line`) as an example of `intent`; what is wrong with it, or None."""
        if not isinstance(question, str) or not question.strip():
            return "a question must be non-empty text"
        text = " ".join(question.split())
        if len(text) > MAX_EXAMPLE_CHARS:
            return f"longer than {MAX_EXAMPLE_CHARS} characters: shorten it or delete it"
        if _ANNOTATION.search(text):
            return f"{text!r} looks like Rasa's entity markup ([text](entity)); reword it or delete it"
        key = normalise(text)
        existing = self.nlu[lang].examples.get(key)
        if existing and existing[0] == intent:
            self.summary.duplicates += 1
            return None
        if existing:
            return (f"{text!r} is already an example of {existing[0]} "
                    f"({_relative(existing[1])}:{existing[2]}); labelling it {intent} would contradict it")
        if (lang, key) in self.seen:
            earlier_intent, earlier_line = self.seen[(lang, key)]
            if earlier_intent != intent:
                return f"{text!r} is also labelled {earlier_intent} at line {earlier_line}"
            self.summary.duplicates += 1
            return None
        self.seen[(lang, key)] = (intent, line)
        self.planned[lang].setdefault(intent, []).append(text)
        return None


def _intent_for_label(label: str, answer_ids: set, answered: set, files: NluFiles) -> Optional[str]:
    if label == DECLINE:
        intent = DECLINE_INTENT
    elif "/" in label:
        if label not in answer_ids:
            return None
        intent = intent_for_answer(label)
        if intent not in answered:
            return None
    else:
        intent = label
    return intent if intent in files.blocks else None


def _render(nlu: Dict[str, NluFiles], planned: Dict[str, Dict[str, List[str]]], summary: Summary) -> Dict[Path, str]:
    inserts: Dict[Path, Dict[int, List[str]]] = {}
    for lang, intents in planned.items():
        for intent, texts in intents.items():
            block = nlu[lang].blocks[intent]
            inserts.setdefault(block.file, {}).setdefault(block.last_line, []).extend(
                f"{block.indent}- {text}\n" for text in texts)
            summary.added[(block.file, intent)] = texts
    rendered: Dict[Path, str] = {}
    for path, at in inserts.items():
        lines = list(_original_lines(nlu, path))
        for number in sorted(at, reverse=True):
            if not lines[number].endswith("\n"):
                lines[number] += "\n"
            lines[number + 1:number + 1] = at[number]
        rendered[path] = "".join(lines)
    return rendered


def _original_lines(nlu: Dict[str, NluFiles], path: Path) -> List[str]:
    """The lines of the NLU file at `path` as they were read."""
    return next(files.lines[path] for files in nlu.values() if path in files.lines)


def _check_with_rasa(new_files: Dict[Path, str], nlu: Dict[str, NluFiles], planned: Dict[str, Dict[str, List[str]]]) -> None:
    """Rasa's reader must read every new file, with exactly the examples added."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    problems = []
    for path, text in new_files.items():
        try:
            before = RasaYAMLReader().reads("".join(_original_lines(nlu, path)))
            after = RasaYAMLReader().reads(text)
        except Exception as error:  # Rasa raises several exception types for bad files
            problems.append(f"{_relative(path)}: the new file would not be valid Rasa data: {error}")
            continue
        old = [(m.get("intent"), m.get("text")) for m in before.intent_examples]
        new = [(m.get("intent"), m.get("text")) for m in after.intent_examples]
        added = sorted(set(new) - set(old))
        expected = sorted((intent, text) for lang in planned for intent, texts in planned[lang].items() for text in texts
                          if nlu[lang].blocks[intent].file == path)
        if added != expected or len(new) != len(old) + len(expected):
            problems.append(f"{_relative(path)}: adding the examples would change the file unexpectedly; nothing written")
    if problems:
        raise ReviewError(problems)


def _replace_all(new_files: Dict[Path, str]) -> None:
    """Write every file next to its target first, then swap them in (os.replace is atomic)."""
    staged: List[Tuple[str, Path]] = []
    try:
        for path, text in new_files.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, path.stat().st_mode & 0o777)
            staged.append((temporary, path))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
