"""The `advisor` CLI analyses text without spaCy; spaCy (for the tests and the data export) without
the deep-learning frameworks.

Each check runs in a fresh interpreter, because what matters is what an import pulls in. If a
new thinc or spaCy imports TensorFlow some other way, these fail.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import PROJECT_DIR


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_analysing_text_imports_neither_spacy_nor_tensorflow():
    """The lemmatizer tokenises with language/tokenizer.py and reads spaCy's data from files."""
    result = _run(
        "import sys, json\n"
        "from language.lemmatizer import get_lemmatizer\n"
        "from language.detect import detect_language\n"
        "lem = get_lemmatizer()\n"
        "out = {'lemmas': lem.lemmas('budżetu sprzedaży', 'pl'), 'en': lem.lemmas('budgets carried', 'en'),\n"
        "  'lang': detect_language('How much does a marketing plan cost?', lem)}\n"
        "print(json.dumps({**out, 'spacy': 'spacy' in sys.modules, 'thinc': 'thinc' in sys.modules,\n"
        "  'tf': 'tensorflow' in sys.modules}))\n"
    )
    assert result["spacy"] is False and result["thinc"] is False and result["tf"] is False
    assert result["lemmas"] == ["budzet", "sprzedaz"]
    assert result["en"] == ["budget", "carry"]
    assert result["lang"] == "en"


def test_spacy_is_imported_without_tensorflow():
    """For the tests and `python -m language.spacy_support`, which compare with spaCy itself."""
    result = _run(
        "import sys, json, importlib.util\n"
        "from language.spacy_support import import_spacy\n"
        "import_spacy()\n"
        "import thinc.compat\n"  # already imported, under the guard
        "print(json.dumps({'tf': 'tensorflow' in sys.modules, 'thinc_tf': thinc.compat.has_tensorflow,\n"
        "  'left_hidden': [n for n, m in sys.modules.items() if m is None and n in ('tensorflow', 'torch')],\n"
        "  'tf_importable': importlib.util.find_spec('tensorflow') is not None}))\n"
    )
    assert result["tf"] is False and result["thinc_tf"] is False
    assert result["left_hidden"] == []  # the guard is lifted: Rasa can still import TensorFlow afterwards
    assert result["tf_importable"] is True


def test_importing_the_language_and_knowledge_modules_does_not_import_spacy():
    result = _run(
        "import sys, json\n"
        "import language.lemmatizer, language.detect, language.matcher, knowledge.classifier, knowledge.service\n"
        "import knowledge.plan_input, analytics.grouping\n"
        "print(json.dumps({'spacy': 'spacy' in sys.modules, 'tf': 'tensorflow' in sys.modules}))\n"
    )
    assert result == {"spacy": False, "tf": False}


def test_spacy_already_imported_with_tensorflow_is_left_alone():
    # In the Rasa server TensorFlow is imported first; the guard must then change nothing.
    result = _run(
        "import sys, json\n"
        "sys.modules.setdefault('torch', None)\n"  # stands for a framework imported before spaCy
        "from language.spacy_support import import_spacy\n"
        "spacy = import_spacy()\n"
        "print(json.dumps({'torch_untouched': 'torch' in sys.modules and sys.modules['torch'] is None,\n"
        "                  'same': import_spacy() is spacy}))\n"
    )
    assert result == {"torch_untouched": True, "same": True}


def test_spacy_s_command_line_is_not_imported_yet_works_when_asked_for():
    result = _run(
        "import sys, json\n"
        "from language.spacy_support import import_spacy\n"
        "spacy = import_spacy()\n"
        "out = {'cli_loaded': 'spacy.cli' in sys.modules or 'spacy.cli.info' in sys.modules,\n"
        "       'typer_loaded': 'typer' in sys.modules, 'has_cli_attr': hasattr(spacy, 'cli')}\n"
        "out['info_version'] = spacy.info()['spacy_version']\n"  # the real spacy.cli.info, imported now
        "import spacy.cli\n"
        "out['real_cli'] = callable(getattr(spacy.cli, 'setup_cli', None))\n"
        "out['version'] = spacy.__version__\n"
        "print(json.dumps(out))\n"
    )
    assert result["cli_loaded"] is False and result["typer_loaded"] is False and result["has_cli_attr"] is False
    assert result["info_version"] == result["version"]
    assert result["real_cli"] is True
