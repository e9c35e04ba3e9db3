"""The part of a long message that carries its question.

Real messages often wrap the question in prose: "I'm starting a business and my partner says
... . So what should the marketing plan's budget be?" The preamble's words dilute the
classifier's evidence and pull it towards out of scope. When a message has several sentences
and some of them are questions (they end with "?"), the question sentences are its focus; a
question too short to stand alone ("Why?") keeps the sentence before it. A message of one
sentence, or one that asks nothing with a question mark, is its own focus.
"""

from __future__ import annotations

import re
from typing import List, Tuple

# A sentence ends at . ! ? … (one or more, with closing quotes or brackets) followed by space,
# or at a line break.
_SENTENCE = re.compile(r"[^.!?…\n]*(?:[.!?…]+[\"'”’»)\]]*|\n|$)")
# A question with fewer words than this also keeps the sentence before it.
MIN_QUESTION_WORDS = 4
# A question with one of these words points back at the sentence before it ("Why, then, are
# they so bad?", "Jak więc je zmierzyć?"): it keeps that sentence too.
_ANAPHORA = frozenset(
    "they them their it its this these those "
    "oni one ich im je nich nimi tego temu tym tej tych więc zatem taki takie takich".split()
)
_WORD = re.compile(r"\w+")


def sentences(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each non-empty sentence of `text`."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        chunk = text[start:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((start + lead, start + len(chunk.rstrip())))
    return spans


def _is_question(text: str) -> bool:
    return text.rstrip("\"'”’»)] ").endswith("?")


def _needs_context(question: str) -> bool:
    words = [w.lower() for w in _WORD.findall(question)]
    return len(words) < MIN_QUESTION_WORDS or any(w in _ANAPHORA for w in words)


def question_spans(text: str) -> List[Tuple[int, int]]:
    """The spans of `text` to read as its question (the whole text when there is no preamble)."""
    spans = sentences(text)
    whole = [(0, len(text))]
    if len(spans) < 2:
        return whole
    chosen: List[Tuple[int, int]] = []
    for i, (start, end) in enumerate(spans):
        if not _is_question(text[start:end]):
            continue
        if i > 0 and spans[i - 1] not in chosen and _needs_context(text[start:end]):
            chosen.append(spans[i - 1])
        chosen.append((start, end))
    return chosen or whole


def in_spans(start: int, end: int, spans: List[Tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)
