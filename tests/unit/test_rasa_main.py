"""The project starts its Rasa servers through bot/rasa_main.py, which keeps TensorFlow from
importing JAX (about 100 MB of resident memory per server; issue 13).

Each check runs in a fresh interpreter, because what matters is what an import pulls in. If a
new TensorFlow or Rasa imports JAX some other way, or stops treating it as optional, these fail.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

from bench.servers import _rasa_server_command
from bot.rasa_main import command
from tests.support import MODEL, PROJECT_DIR

# What a Rasa server imports at module level (rasa/core/run.py imports the agent, and with it
# TensorFlow), and the JSON line the checks print.
_IMPORT_RASA = (
    "import rasa.core.run\n"
    "print(json.dumps({'jax': sys.modules.get('jax') is not None, 'tf': 'tensorflow' in sys.modules,\n"
    "  'rss_mb': int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024}))\n"
)


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", "import sys, json, re\n" + code], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tensorflow_imports_jax_only_as_an_optional_extra():
    """The reason for bot/rasa_main.py, and the condition that makes hiding JAX safe: TF Lite's
    util module is the only place TensorFlow imports JAX, inside `try ... except ImportError`."""
    spec = importlib.util.find_spec("tensorflow")
    root = Path(spec.origin).parent
    importers = sorted(
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if re.search(r"^\s*(from jax\b|import jax\b)", path.read_text(encoding="utf-8", errors="replace"), re.M)
        and "/tests/" not in str(path) and not path.name.endswith("_test.py")
    )
    assert importers == ["lite/python/util.py"], importers
    source = (root / "lite" / "python" / "util.py").read_text(encoding="utf-8")
    assert re.search(r"try:\s*\n\s*from jax import xla_computation as _xla_computation\s*\n"
                     r"except ImportError:\s*\n\s*_xla_computation = None", source)


def test_a_rasa_server_started_the_projects_way_does_not_import_jax():
    hidden = _run("from bot.rasa_main import hide_jax\nhide_jax()\n" + _IMPORT_RASA)
    plain = _run(_IMPORT_RASA)
    assert plain["tf"] and hidden["tf"]
    assert plain["jax"] is True  # the installed TensorFlow imports JAX when nothing stops it
    assert hidden["jax"] is False
    assert hidden["rss_mb"] < plain["rss_mb"] - 50, (hidden, plain)


def test_rasa_main_runs_rasa_with_its_arguments_and_jax_hidden():
    done = subprocess.run(
        [*command("--version")], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=True,
    )
    assert "Rasa Version" in done.stdout
    code = ("from bot.rasa_main import main\nmain(['--version'])\n"
            "print(json.dumps({'jax': sys.modules.get('jax', 0), 'argv': sys.argv}))\n")
    result = _run(code)
    assert result == {"jax": None, "argv": ["rasa", "--version"]}  # hidden: `import jax` raises ImportError


def test_the_project_starts_its_rasa_servers_through_rasa_main():
    import bot.serve

    assert _rasa_server_command(MODEL, 5005)[:4] == [sys.executable, "-m", "bot.rasa_main", "run"]
    assert command("run")[:3] == [sys.executable, "-m", "bot.rasa_main"]
    assert "rasa_server_command(\"run\"" in Path(bot.serve.__file__).read_text(encoding="utf-8")
    helm = (PROJECT_DIR / "deploy" / "helm" / "rasa-values.yml").read_text(encoding="utf-8")
    assert re.search(r'^command: \["python", "-m", "bot\.rasa_main"\]', helm, re.M)
