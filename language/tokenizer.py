"""spaCy's rule-based tokenizer (`spacy.blank(lang).tokenizer`) in pure Python, on spaCy's own rules.

Importing spaCy costs 0.4-0.7 s of a CLI command, and building its blank tokenizer compiles the
same regular expressions this module compiles; the project uses nothing else of the tokenizer.
This is the algorithm of spaCy 3's `Tokenizer.__call__` (`spacy/tokenizer.pyx`), step for step:

1. the text is cut into runs of whitespace and of other characters; a single " " after a token
   is its trailing space, any other whitespace becomes a token of its own;
2. a run that is a special case (a tokenizer exception: "don't", ":)", "a.m.") gives its pieces;
3. otherwise prefixes and suffixes are split off repeatedly (`_split_affixes`), stopping early
   when what is left, without the prefix or without the suffix, is a special case;
4. what is left is a special case, a URL (`url_match`) or a token match, or is split at its
   infixes (`_attach_tokens`);
5. special cases that contain affixes ("a.m." is "a.m" + "." after step 3) are found again over
   the token sequence, the longest first, and retokenised (`_apply_special_cases`).

Deliberate differences, none in the word tokens: spaCy caches the result of each whitespace-
delimited run (with its rules the cache never changes a result; this module keeps none), and the
tests compare words and punctuation, not whitespace tokens, which the lemmatizer drops. The rules (prefix, suffix, infix and URL patterns, the
special cases) are spaCy's, exported into language/spacy_data.json (`language/spacy_data.py`);
tests/unit/test_tokenizer.py compares the tokens with spaCy's on every sentence of the training
data, the benchmark data and the knowledge base, and on generated text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

# A token: its text and the offset of its first character in the tokenised text.
Piece = Tuple[str, int]


def is_punct(text: str) -> bool:
    """spaCy's `is_punct` lexical attribute (spacy/lang/lex_attrs.py), the same in Polish and English."""
    return all(unicodedata.category(char).startswith("P") for char in text)


def is_word(text: str) -> bool:
    """Whether a token is a word: neither whitespace nor punctuation (spaCy's is_space, is_punct)."""
    return not text.isspace() and not is_punct(text)


def _compiled(rule: Optional[Sequence[Any]]) -> Optional["re.Pattern[str]"]:
    return re.compile(rule[0], rule[1]) if rule else None


class RuleTokenizer:
    """Tokenises like spaCy's tokenizer built from the same rules (see the module docstring)."""

    def __init__(self, rules: Dict[str, Any]) -> None:
        self._prefix = _compiled(rules["prefix"])
        self._suffix = _compiled(rules["suffix"])
        self._infix = _compiled(rules["infix"])
        url, token = _compiled(rules["url_match"]), _compiled(rules["token_match"])
        self._url_match: Optional[Callable[[str], Any]] = url.match if url else None
        self._token_match: Optional[Callable[[str], Any]] = token.match if token else None
        self._specials: Dict[str, Tuple[str, ...]] = {k: tuple(v) for k, v in rules["special_cases"].items()}
        # spaCy's special matcher: the special cases its affix rules would split (or with a space),
        # as the token sequences affix splitting makes of them, indexed by their first token.
        self._patterns: Dict[str, List[Tuple[str, ...]]] = {}
        for string in self._specials:
            if (rules.get("faster_heuristics", True) and not self._find_prefix(string) and not self._find_suffix(string)
                    and not self._find_infix(string) and " " not in string):
                continue
            pattern = tuple(text for text, _ in self._tokenize_affixes(string, False))
            if pattern:
                self._patterns.setdefault(pattern[0], []).append(pattern)

    # the pieces of spaCy's Tokenizer -------------------------------------------------------
    def _find_prefix(self, string: str) -> int:
        match = self._prefix.search(string) if self._prefix else None
        return match.end() - match.start() if match else 0

    def _find_suffix(self, string: str) -> int:
        match = self._suffix.search(string) if self._suffix else None
        return match.end() - match.start() if match else 0

    def _find_infix(self, string: str) -> List["re.Match[str]"]:
        return list(self._infix.finditer(string)) if self._infix else []

    def _tokenize_affixes(self, text: str, with_special_cases: bool) -> List[Piece]:
        """Steps 1-4 (spaCy's `_tokenize_affixes`)."""
        pieces: List[Piece] = []
        if not text:
            return pieces
        start = 0
        in_ws = text[0].isspace()
        for i, char in enumerate(text):
            if char.isspace() != in_ws:
                if start < i:
                    self._tokenize_run(text[start:i], start, pieces, with_special_cases)
                start = i + 1 if char == " " else i
                in_ws = not in_ws
        if start < len(text):
            self._tokenize_run(text[start:], start, pieces, with_special_cases)
        return pieces

    def _tokenize_run(self, run: str, offset: int, pieces: List[Piece], with_special_cases: bool) -> None:
        if with_special_cases and run in self._specials:
            texts: Sequence[str] = self._specials[run]
        else:
            prefixes, middle, suffixes = self._split_affixes(run, with_special_cases)
            texts = [*prefixes, *self._attach(middle, with_special_cases), *reversed(suffixes)]
        for text in texts:
            pieces.append((text, offset))
            offset += len(text)

    def _split_affixes(self, string: str, with_special_cases: bool) -> Tuple[List[str], str, List[str]]:
        """spaCy's `_split_affixes`: the prefixes, what is left, and the suffixes (outermost first)."""
        specials = self._specials if with_special_cases else {}
        prefixes: List[str] = []
        suffixes: List[str] = []
        last_size = 0
        while string and len(string) != last_size:
            if self._token_match and self._token_match(string):
                break
            if string in specials:
                break
            last_size = len(string)
            pre_len = self._find_prefix(string)
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in specials:
                    string = minus_pre
                    prefixes.append(prefix)
                    break
            suf_len = self._find_suffix(string[pre_len:])
            if suf_len:
                suffix, minus_suf = string[-suf_len:], string[:-suf_len]
                if minus_suf and minus_suf in specials:
                    string = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and pre_len + suf_len <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        return prefixes, string, suffixes

    def _attach(self, string: str, with_special_cases: bool) -> Sequence[str]:
        """spaCy's `_attach_tokens` for what the affixes left: a special case, one token, or infix splits."""
        if not string:
            return ()
        if with_special_cases and string in self._specials:
            return self._specials[string]
        if (self._token_match and self._token_match(string)) or (self._url_match and self._url_match(string)):
            return (string,)
        matches = self._find_infix(string)
        if not matches:
            return (string,)
        texts = []
        start = 0
        for match in matches:
            infix_start, infix_end = match.start(), match.end()
            if infix_start == 0:
                continue
            if infix_start != start:
                texts.append(string[start:infix_start])
            if infix_start != infix_end:
                texts.append(string[infix_start:infix_end])
            start = infix_end
        if string[start:]:
            texts.append(string[start:])
        return texts

    def _apply_special_cases(self, text: str, pieces: List[Piece]) -> List[Piece]:
        """Step 5 (spaCy's `_apply_special_cases` with its PhraseMatcher on token texts)."""
        if not self._patterns:
            return pieces
        matches = []
        for i, (first, _) in enumerate(pieces):
            for pattern in self._patterns.get(first, ()):
                end = i + len(pattern)
                if end <= len(pieces) and all(pieces[i + j][0] == t for j, t in enumerate(pattern)):
                    matches.append((i, end))
        if not matches:
            return pieces
        # The longest first, then the earliest; a match touching a token of one seen before is dropped
        # (spaCy's `_filter_special_spans`, which marks the tokens of dropped matches as seen too).
        matches.sort(key=lambda m: (m[1] - m[0], -m[0]))
        kept, seen = {}, set()
        for start, end in reversed(matches):
            if start not in seen and end - 1 not in seen:
                kept[start] = end
            seen.update(range(start, end))
        result: List[Piece] = []
        i = 0
        while i < len(pieces):
            end = kept.get(i)
            if end is None:
                result.append(pieces[i])
                i += 1
                continue
            offset = pieces[i][1]
            last_text, last_offset = pieces[end - 1]
            special = self._specials.get(text[offset:last_offset + len(last_text)])
            if special is None:
                result.extend(pieces[i:end])
            else:
                for piece in special:
                    result.append((piece, offset))
                    offset += len(piece)
            i = end
        return result

    # the interface -----------------------------------------------------------------------
    def __call__(self, text: str) -> List[Piece]:
        """Every token (words, punctuation, whitespace other than single spaces) with its offset."""
        return self._apply_special_cases(text, self._tokenize_affixes(text, True))

    def words(self, text: str) -> List[Piece]:
        """The word tokens: what spaCy gives without its is_space and is_punct tokens."""
        return [piece for piece in self(text) if is_word(piece[0])]
