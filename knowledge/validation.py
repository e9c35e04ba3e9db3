"""Content files checked against their models: YAML with line numbers -> models -> problems.

Every content file is described once, as a pydantic model (`knowledge/schema.py`). This module
reads a file keeping line numbers (ruamel's round-trip loader on ruamel's libyaml parser, see
`_RoundTripCLoader`), validates the data against its
model, and turns each pydantic error into a `Problem` an editor can act on: the file, the line
of the key or list item at fault, the entry (the `id` of the enclosing list item, else the
leading keys of the path) and the reason.

Checks that look beyond one value (a section that must exist, an id used twice, a term claimed
by two signals) read and fill the `Context` of the current check: the known sections and the
registries of what earlier items (and earlier files of the same read) claimed.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.resolver import VersionedResolver

try:
    from ruamel.yaml.cyaml import CParser
except ImportError:  # ruamel.yaml.clib not installed: the pure-Python round-trip loader
    CParser = None

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: Optional[str]
    line: Optional[int]
    """1-based line, when the data was read with line numbers."""
    entry: Optional[str]
    reason: str

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.entry:
            parts.append(self.entry)
        parts.append(self.reason)
        return ": ".join(parts)


class ContentError(Exception):
    """The content is invalid; `problems` says where and why."""

    def __init__(self, problems: List[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Invalid(ValueError):
    """A reason written as a whole sentence ("unknown section '42'"), shown as it is.

    A plain ValueError raised by a validator is a predicate ("must be a non-empty text") that
    the reason prefixes with the path of the value ("'weight' must be ...").
    """

    code = "content"


@dataclass
class Context:
    file: Optional[str] = None
    sections: Optional[Mapping[str, str]] = None
    """Section id -> aspect of the guide's sections; None skips the section checks."""
    claimed: Dict[Tuple[str, Hashable], str] = field(default_factory=dict)

    def claim(self, kind: str, key: Hashable, owner: str) -> Optional[str]:
        """Register `key` for `owner`; the earlier owner when another one claimed it first."""
        first = self.claimed.setdefault((kind, key), owner)
        return first if first != owner else None

    def seen(self, kind: str, key: Hashable) -> Optional[str]:
        """The file of an earlier item with this key (None the first time: the key is registered)."""
        if (kind, key) in self.claimed:
            return self.claimed[(kind, key)]
        self.claimed[(kind, key)] = self.file or ""
        return None


_current: contextvars.ContextVar[Context] = contextvars.ContextVar("content_context")


def context() -> Context:
    """The context of the check under way (an empty one outside a check)."""
    return _current.get(Context())


if CParser is not None:

    class _RoundTripCLoader(CParser, RoundTripConstructor, VersionedResolver):  # type: ignore[misc]
        """ruamel's round-trip constructor (CommentedMap/CommentedSeq with `.lc` line numbers, YAML
        1.2 resolution, duplicate keys refused) on the libyaml parser of ruamel.yaml.clib, put
        together like ruamel's own `cyaml.CLoader`. `YAML(typ="rt")` scans in pure Python: 10x
        slower on the content files, most of `advisor kb validate`. Comments are not kept (nothing
        here writes YAML back). tests/unit/test_loader.py checks that both give the same data and
        the same line and column of every key and item of every content file."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            RoundTripConstructor.__init__(self, loader=self)
            VersionedResolver.__init__(self, loadumper=self)
            self.allow_duplicate_keys = False
            self.comment_handling = None


def load_yaml(text: str) -> Any:
    """YAML text as ruamel's round-trip data (with line numbers); raises ruamel's errors."""
    if CParser is None:
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = False
        return yaml.load(text)
    loader = _RoundTripCLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml(path: Path, name: str) -> Tuple[Any, List[Problem]]:
    """The parsed file (with line numbers) and the problems that stopped it being read."""
    if not path.is_file():
        return None, [Problem(name, None, None, "file not found")]
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        return None, [Problem(name, None, None, f"not valid UTF-8 ({error.reason})")]
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = " ".join(str(part) for part in (error.context, error.problem) if part)
        return None, [Problem(name, mark.line + 1 if mark else None, None, f"malformed YAML: {reason}")]
    except Exception as error:  # ruamel raises several unrelated types for broken input
        return None, [Problem(name, None, None, f"malformed YAML: {error}")]
    if data is None:
        return None, [Problem(name, None, None, "file is empty")]
    return data, []


def check(model: Type[M], data: Any, file: Optional[str] = None, *, entry_depth: int = 1,
          ctx: Optional[Context] = None) -> Tuple[Optional[M], List[Problem]]:
    """`data` as a `model`, or None and every problem found in it."""
    ctx = ctx or Context()
    ctx.file = file
    token = _current.set(ctx)
    try:
        return model.parse_obj(data), []
    except ValidationError as error:
        return None, [_problem(data, e, file, entry_depth) for e in error.errors()]
    finally:
        _current.reset(token)


# ---- from a pydantic error to a problem ------------------------------------------------------


def _problem(data: Any, error: Mapping[str, Any], file: Optional[str], depth: int) -> Problem:
    loc = tuple(key for key in error["loc"] if key != "__root__")
    entry, path = _entry(data, loc, depth)
    return Problem(file, _line(data, loc), entry, _reason(error, path, _value(data, loc)))


def _line(data: Any, loc: Sequence[Any]) -> Optional[int]:
    """The line of the innermost key or item of `loc` present in `data`."""
    node, line = data, _own_line(data)
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, Mapping) and key in node:
                line = lc.key(key)[0] + 1 if lc is not None else None
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                line = lc.item(key)[0] + 1 if lc is not None else None
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
        node = node[key]
    return line


def _own_line(node: Any) -> Optional[int]:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _value(data: Any, loc: Sequence[Any]) -> Any:
    node = data
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _entry(data: Any, loc: Sequence[Any], depth: int) -> Tuple[Optional[str], Tuple[Any, ...]]:
    """(entry, path inside it): the id of the innermost list item on `loc` that has one,
    else its first `depth` keys."""
    node, found = data, None
    for position, key in enumerate(loc):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int):
            item_id = node.get("id") if isinstance(node, Mapping) else None
            label = str(item_id) if isinstance(item_id, (str, int)) and not isinstance(item_id, bool) else None
            found = (label or f"{'.'.join(str(k) for k in loc[:position])} #{key + 1}", position + 1)
    if found:
        return found[0], tuple(loc[found[1]:])
    head = [str(key) for key in loc[:depth]]
    return (".".join(head) or None), tuple(loc[depth:])


_TYPES = {
    "type_error.dict": "must be a mapping",
    "type_error.list": "must be a list",
    "type_error.str": "must be a text",
    "type_error.none.not_allowed": "must not be empty",
    "value_error.list.min_items": "must be a non-empty list",
    "value_error.any_str.min_length": "must be a non-empty text",
}


def _reason(error: Mapping[str, Any], path: Tuple[Any, ...], value: Any) -> str:
    kind, message = error["type"], error["msg"]
    where = ".".join(str(key) for key in path)
    parent, key = ".".join(str(k) for k in path[:-1]), (path[-1] if path else None)
    if kind == "value_error.missing":
        return f"missing '{key}'" + (f" in '{parent}'" if parent else "")
    if kind == "value_error.extra":
        return f"unknown key '{key}'" + (f" in '{parent}'" if parent else "")
    if kind == "value_error.content":
        return message
    if kind == "value_error.const":
        permitted = ", ".join(str(p) for p in error.get("ctx", {}).get("permitted", ()))
        message = f"must be one of {permitted} (got {value!r})"
    else:
        message = _TYPES.get(kind, message)
    return f"'{where}' {message}" if where else message
