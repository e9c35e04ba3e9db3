"""Content validation: the real content passes; broken copies fail with file, line and reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import ASPECTS, LANGUAGES
from knowledge.loader import ContentError, read_content
from tests.conftest import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge" / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def problems_of(content_dir: Path):
    with pytest.raises(ContentError) as error:
        read_content(content_dir)
    return error.value.problems


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_real_content_is_complete():
    content = read_content(CONTENT_DIR)
    ids = {entry["id"] for entry in content.entries}
    for aspect in ASPECTS[1:]:
        for plan in ("sales", "marketing", "both"):
            assert f"{aspect}/{plan}" in ids
    assert "overview/both" in ids
    assert {"faq/difference_sales_marketing", "faq/marketing_plan_includes_sales"} <= ids
    for entry in content.entries:
        assert set(entry["text"]) == set(LANGUAGES)
        assert all(len(text) < 900 for text in entry["text"].values()), entry["id"]


def test_missing_language_is_reported_with_file_and_line(content_copy: Path):
    path = content_copy / "answers" / "06_budget.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    en_line = next(i for i, line in enumerate(lines) if line.strip().startswith("en:"))
    # drop the English text of the first entry (the key and its folded text lines)
    end = en_line + 1
    while end < len(lines) and lines[end].startswith(" " * (len(lines[en_line]) - len(lines[en_line].lstrip()) + 1)):
        end += 1
    path.write_text("\n".join(lines[:en_line] + lines[end:]) + "\n", encoding="utf-8")
    problems = problems_of(content_copy)
    assert any(p.file.endswith("answers/06_budget.yml") and "no en text" in p.reason and p.line for p in problems)


def test_unknown_section_is_reported(content_copy: Path):
    replace_in(content_copy / "answers" / "05_team.yml", 'section: "5"', 'section: "42"')
    problems = problems_of(content_copy)
    assert any(p.file.endswith("05_team.yml") and "unknown section '42'" in p.reason and p.line for p in problems)


def test_malformed_yaml_is_reported_with_line(content_copy: Path):
    path = content_copy / "faq.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    problems = problems_of(content_copy)
    assert any(p.file.endswith("faq.yml") and "malformed YAML" in p.reason and p.line for p in problems)


def test_duplicate_id_is_reported(content_copy: Path):
    replace_in(content_copy / "answers" / "07_evaluation.yml", "id: evaluation/sales", "id: budget/sales")
    problems = problems_of(content_copy)
    assert any("duplicate id" in p.reason and p.entry == "budget/sales" for p in problems)


def test_duplicate_key_is_malformed(content_copy: Path):
    path = content_copy / "sections.yml"
    replace_in(path, "sections:", "sections:\nsections:")
    assert any("malformed YAML" in p.reason for p in problems_of(content_copy))


def test_empty_text_is_reported(content_copy: Path):
    path = content_copy / "answers" / "02_goals.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("text:")
    pl = text.index("pl:", start)
    end_of_line = text.index("\n", pl)
    # replace the Polish text's first line by an empty string and keep the YAML valid
    path.write_text(text[:pl] + 'pl: ""\n      xx_removed: >-' + text[end_of_line:], encoding="utf-8")
    problems = problems_of(content_copy)
    assert any(p.file.endswith("02_goals.yml") for p in problems)


def test_cli_validate_fails_with_file_and_reason(content_copy: Path):
    replace_in(content_copy / "answers" / "05_team.yml", 'section: "5"', 'section: "42"')
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "validate", "--content", str(content_copy)],
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "05_team.yml:" in result.stderr and "unknown section '42'" in result.stderr


def test_cli_validate_needs_no_database_library():
    """Checking files imports neither SQLAlchemy nor the table models (a third of its start-up)."""
    code = ("import sys\nsys.argv = ['advisor', 'kb', 'validate']\nfrom bot.cli import main\ncode = main()\n"
            "print(code, 'sqlalchemy' in sys.modules, 'knowledge.models' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split()[-3:] == ["0", "False", "False"], result.stderr


def test_cli_export_prints_every_entry():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "export"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    budget = next(e for e in exported["entries"] if e["id"] == "budget/sales")
    assert budget["section"] == "6"
    assert budget["text"]["pl"] and budget["text"]["en"]


def _lines_and_values(node, path=()):
    """Every key and item of `node` with its line and column, its type and (for scalars) its value."""
    found = []
    if isinstance(node, dict):
        found.append((path, node.lc.line, node.lc.col))
        for key, value in node.items():
            scalar = None if isinstance(value, (dict, list)) else value
            found.append((path + (key,), node.lc.key(key), node.lc.value(key), type(value).__name__, scalar))
            found += _lines_and_values(value, path + (key,))
    elif isinstance(node, list):
        found.append((path, node.lc.line, node.lc.col))
        for i, value in enumerate(node):
            scalar = None if isinstance(value, (dict, list)) else value
            found.append((path + (i,), node.lc.item(i), type(value).__name__, scalar))
            found += _lines_and_values(value, path + (i,))
    return found


def _pure_round_trip(text: str):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml.load(text)


@pytest.mark.parametrize("path", sorted(CONTENT_DIR.rglob("*.yml")), ids=lambda p: p.name)
def test_the_fast_loader_reads_like_ruamels_round_trip_loader(path: Path):
    from knowledge.validation import CParser, load_yaml

    assert CParser is not None  # ruamel.yaml.clib is installed: the fast path is the one tested
    text = path.read_text(encoding="utf-8")
    ours, theirs = load_yaml(text), _pure_round_trip(text)
    assert ours == theirs
    assert _lines_and_values(ours) == _lines_and_values(theirs)


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",                      # duplicate key
    "a: [1, 2\nb: 3\n",                  # unclosed flow sequence
    "a:\n  - x\n - y\n",                 # bad indentation
    "a: 'open\n",                        # unclosed quote
    "- a\nb: c\n",                       # a mapping after a sequence
])
def test_the_fast_loader_refuses_what_ruamel_refuses_at_the_same_line(text: str):
    from ruamel.yaml.error import MarkedYAMLError

    from knowledge.validation import load_yaml

    with pytest.raises(MarkedYAMLError) as ours:
        load_yaml(text)
    with pytest.raises(MarkedYAMLError) as theirs:
        _pure_round_trip(text)
    mark = lambda e: (e.problem_mark or e.context_mark).line  # noqa: E731
    assert mark(ours.value) == mark(theirs.value)


def test_yaml_1_2_scalars_as_ruamel_reads_them():
    from knowledge.validation import load_yaml

    text = "a: yes\nb: 010\nc: 1:30\nd: 0o10\ne: 1e3\nf: ~\ng: 2026-12-01\nh: .inf\n"
    assert load_yaml(text) == _pure_round_trip(text)
    assert load_yaml(text)["a"] == "yes" and load_yaml(text)["c"] == "1:30"
