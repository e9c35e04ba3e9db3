"""`rasa`'s command line without JAX: how the project starts its Rasa servers.

    python -m bot.rasa_main run --model models/advisor.tar.gz --endpoints bot/endpoints.yml ...

takes exactly `rasa`'s arguments. `make run` (bot/serve.py), bench/servers.py (so `make bench`
and the tests) and deploy/helm/rasa-values.yml start the Rasa server this way.

Why: Rasa imports TensorFlow in every server (`rasa.core.policies.policy` at module level,
whatever the pipeline), and TensorFlow 2.12 lists JAX among its requirements and imports it
whenever it is installed, only for TF Lite's JAX-model converter
(`tensorflow/lite/python/util.py`: `try: from jax import xla_computation ... except ImportError:
_xla_computation = None`). Nothing in a Rasa process converts JAX models, yet that import maps
jaxlib's 200 MB XLA library and builds JAX's module tree: about 100 MB of resident memory in
every Rasa server (after `import rasa.core.agent` in a plain process: 700 MB with JAX, 596 MB
without) and about half a second of start-up.

`hide_jax()` sets `sys.modules["jax"]` to None before Rasa starts, so `import jax` raises
ImportError in this process, which TensorFlow catches and records as "no JAX" (the same
mechanism language/spacy_support.py uses to keep thinc from importing TensorFlow). The guard
stays for the life of the process: Rasa imports TensorFlow itself, after setting up its logging
and warnings, and nothing a Rasa server or `rasa train` runs uses JAX (only TF Lite's
`experimental_from_jax` is off). tests/unit/test_rasa_main.py checks this against the installed
TensorFlow and Rasa, and fails if a new version imports JAX some other way or needs it.
"""

from __future__ import annotations

import sys
from typing import List, Optional

# Imported by TensorFlow only for optional features no Rasa process uses.
UNUSED_FRAMEWORKS = ("jax",)


def hide_jax() -> None:
    """Make `import jax` raise ImportError in this process (unless it is imported already)."""
    for name in UNUSED_FRAMEWORKS:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]


def command(*args: str) -> List[str]:
    """The command line that runs `rasa *args` this way, with this interpreter."""
    return [sys.executable, "-m", "bot.rasa_main", *args]


def main(argv: Optional[List[str]] = None) -> None:
    """`rasa` with `argv` (default: this process's arguments), with JAX hidden."""
    hide_jax()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
