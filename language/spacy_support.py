"""spaCy itself, for exporting the data the project uses of it and for the tests that compare with it.

The running code does not import spaCy: language/tokenizer.py tokenises like spaCy's blank
tokenizers on their exported rules, and language/spacy_data.py reads those rules, the stop words
and the English lemma table from files. `python -m language.spacy_support` writes
language/spacy_data.json from the installed spaCy (after an upgrade; then retrain), and
tests/unit/test_spacy_data.py and tests/unit/test_tokenizer.py compare with spaCy.

Importing spaCy here stays fast and light, as follows.

spaCy imports thinc, and thinc (`thinc/compat.py`) imports TensorFlow, PyTorch, CuPy and MXNet
at import time whenever they are installed, only to offer its optional model shims. Rasa
installs TensorFlow, so `import spacy` alone took 3-6 s and about 400 MB here, although nothing
of ours runs a thinc model: `advisor classify` spent almost all of its 6-10 s there.

`import_spacy()` imports spaCy with those frameworks hidden from thinc's probe when the process
has not imported them already: their `sys.modules` entries are set to None for the duration of
the import (Python then raises ImportError for them, which thinc catches and records as "not
installed"), and removed again afterwards, so a later `import tensorflow` (Rasa's) works as
usual. Only thinc's shims for those frameworks are off in such a process; spaCy's tokenizers,
stop words and lookup tables do not use them.

`spacy/__init__.py` also imports spaCy's own command line (`spacy.cli`: typer, jinja2, requests,
pkg_resources and every subcommand), only to re-export `spacy.info`: about a third of the import's
CPU time. During the import, placeholders stand in for `spacy.cli` and `spacy.cli.info`; they are
removed afterwards, so `import spacy.cli` later imports the real one, and the `spacy.info` they
leave behind calls the real `spacy.cli.info.info`. tests/unit/test_spacy_support.py checks this
against the installed thinc and spaCy (and fails if a new version stops honouring it).

Every spaCy import of the project goes through this module; import spaCy lazily, inside
functions.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType
from typing import Any, Dict

from language import LANGUAGES

# The optional frameworks thinc.compat probes for at import time.
HIDDEN_FRAMEWORKS = ("tensorflow", "torch", "cupy", "cupyx", "mxnet")


def import_spacy() -> ModuleType:
    """`spacy`, imported (once) without thinc importing the deep-learning frameworks and without
    spaCy's command line."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    hidden = [name for name in HIDDEN_FRAMEWORKS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    placeholders = _cli_placeholders()
    for name, module in placeholders.items():
        sys.modules.setdefault(name, module)
    try:
        import spacy
        import spacy.lang.en.stop_words  # noqa: F401  (under the same guard, for stop_words())
        import spacy.lang.pl.stop_words  # noqa: F401
        import spacy.lookups  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
        for name, module in placeholders.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        spacy_package = sys.modules.get("spacy")
        if spacy_package is not None and getattr(spacy_package, "cli", None) is placeholders["spacy.cli"]:
            del spacy_package.cli  # `import spacy.cli` sets the real one
    return spacy


def _cli_placeholders() -> Dict[str, ModuleType]:
    """Stand-ins for `spacy.cli` and `spacy.cli.info` while spaCy is imported."""
    package, module = ModuleType("spacy.cli"), ModuleType("spacy.cli.info")
    package.__path__ = []  # a package with no submodules of its own

    def info(*args: Any, **kwargs: Any) -> Any:
        """spaCy's `spacy.info`, imported when first called."""
        from spacy.cli.info import info as spacy_info

        return spacy_info(*args, **kwargs)

    module.info = info  # type: ignore[attr-defined]
    package.info = module  # type: ignore[attr-defined]
    return {"spacy.cli": package, "spacy.cli.info": module}


def exported_data() -> Dict[str, Any]:
    """What language/spacy_data.json holds, taken from the installed spaCy: the rules of each
    language's blank tokenizer and its stop words."""
    spacy = import_spacy()
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.pl.stop_words import STOP_WORDS as POLISH
    from spacy.symbols import ORTH

    def pattern(method: Any) -> Any:
        return None if method is None else [method.__self__.pattern, method.__self__.flags]

    tokenizer = {}
    for lang in LANGUAGES:
        blank = spacy.blank(lang).tokenizer
        tokenizer[lang] = {
            "prefix": pattern(blank.prefix_search),
            "suffix": pattern(blank.suffix_search),
            "infix": pattern(blank.infix_finditer),
            "url_match": pattern(blank.url_match),
            "token_match": pattern(blank.token_match),
            "faster_heuristics": blank.faster_heuristics,
            "special_cases": {string: [piece[ORTH] for piece in pieces] for string, pieces in sorted(blank.rules.items())},
        }
    return {
        "spacy_version": spacy.__version__,
        "tokenizer": tokenizer,
        "stop_words": {"pl": sorted(POLISH), "en": sorted(ENGLISH)},
    }


if __name__ == "__main__":
    from language.spacy_data import DATA_FILE

    DATA_FILE.write_text(json.dumps(exported_data(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {DATA_FILE}")
