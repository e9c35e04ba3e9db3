"""spaCy for what this project uses of it (blank tokenizers, stop words, lookup tables), loaded fast.

spaCy imports thinc, and thinc (`thinc/compat.py`) imports TensorFlow, PyTorch, CuPy and MXNet
at import time whenever they are installed, only to offer its optional model shims. Rasa
installs TensorFlow, so `import spacy` alone took 3-6 s and about 400 MB here, although nothing
of ours runs a thinc model: `advisor classify` spent almost all of its 6-10 s there.

`import_spacy()` imports spaCy with those frameworks hidden from thinc's probe when the process
has not imported them already: their `sys.modules` entries are set to None for the duration of
the import (Python then raises ImportError for them, which thinc catches and records as "not
installed"), and removed again afterwards, so a later `import tensorflow` (Rasa's) works as
usual. Only thinc's shims for those frameworks are off in such a process; spaCy's tokenizers,
stop words and lookup tables do not use them. tests/unit/test_spacy_support.py checks this
against the installed thinc and spaCy (and fails if a new version stops honouring it).

Every spaCy import of the project goes through this module; import spaCy lazily, inside
functions, so that importing `language` stays cheap.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import FrozenSet

# The optional frameworks thinc.compat probes for at import time.
HIDDEN_FRAMEWORKS = ("tensorflow", "torch", "cupy", "cupyx", "mxnet")


def import_spacy() -> ModuleType:
    """`spacy`, imported (once) without thinc importing the deep-learning frameworks."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    hidden = [name for name in HIDDEN_FRAMEWORKS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        import spacy
        import spacy.lang.en.stop_words  # noqa: F401  (under the same guard, for stop_words())
        import spacy.lang.pl.stop_words  # noqa: F401
        import spacy.lookups  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return spacy


@functools.lru_cache(maxsize=None)
def stop_words(lang: str) -> FrozenSet[str]:
    """spaCy's stop words of "pl" or "en"."""
    import_spacy()
    if lang == "en":
        from spacy.lang.en.stop_words import STOP_WORDS
    elif lang == "pl":
        from spacy.lang.pl.stop_words import STOP_WORDS
    else:
        raise ValueError(f"no stop words for language {lang!r}")
    return frozenset(STOP_WORDS)
