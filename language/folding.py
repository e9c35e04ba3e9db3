"""Case and diacritic folding, so that "Budżet" and "budzet" compare equal."""

import unicodedata

# Letters that do not decompose into a base letter plus a combining mark.
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "đ": "d"})


def fold(text: str) -> str:
    """Lower-case `text` and strip its diacritics ("Źródło" -> "zrodlo")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Polish letters a writer may type without their diacritic, by the plain letter typed.
POLISH_RESTORATIONS = {
    "a": ("ą",),
    "c": ("ć",),
    "e": ("ę",),
    "l": ("ł",),
    "n": ("ń",),
    "o": ("ó",),
    "s": ("ś",),
    "z": ("ż", "ź"),
}
