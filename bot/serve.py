"""Start the action server and the Rasa server together (`make run`, `make chat`).

Both run as child processes of this one; Ctrl+C or SIGTERM stops both, and so does either of
them ending: a Rasa server that cannot load its model exits non-zero (bot.channels.readiness),
and this process then stops the action server and exits with the same code.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import List

from bot.rasa_main import command as rasa_server_command
from bot.settings import PROJECT_DIR

MODEL = PROJECT_DIR / "models" / "advisor.tar.gz"


def _wait_for(url: str, timeout: float, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--shell", action="store_true", help="talk to the assistant in this terminal")
    parser.add_argument("--model", default=str(MODEL), help="the trained model (default models/advisor.tar.gz)")
    args = parser.parse_args(argv)

    rasa = str(Path(sys.executable).parent / "rasa")
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{args.actions_port}/webhook",
    }
    development = env.get("ADVISOR_DEV_MODE", "").lower() in ("1", "true", "yes") and not env.get("ADVISOR_JWT_SECRET", "").strip()
    if development:
        print("WARNING: development mode: the intranet channel accepts tokens signed with a development secret.")
    actions = subprocess.Popen(
        [rasa, "run", "actions", "--actions", "actions", "--port", str(args.actions_port)], env=env, cwd=PROJECT_DIR
    )
    children = [actions]
    try:
        if not _wait_for(f"http://127.0.0.1:{args.actions_port}/health", 120, actions):
            print("The action server did not start; see its output above.", file=sys.stderr)
            return 1
        common = ["--model", args.model, "--endpoints", "bot/endpoints.yml"]
        if args.shell:
            return subprocess.call(rasa_server_command("shell", *common, "--port", str(args.rasa_port)), env=env,
                                   cwd=PROJECT_DIR)
        server = subprocess.Popen(
            rasa_server_command("run", *common, "--credentials", "bot/credentials.yml", "--port", str(args.rasa_port)),
            env=env,
            cwd=PROJECT_DIR,
        )
        children.append(server)
        if _wait_for(f"http://127.0.0.1:{args.rasa_port}/webhooks/intranet/", 300, server):
            base = f"http://localhost:{args.rasa_port}"
            print(f"\nThe plan advisor is ready.\n  REST:        POST {base}/webhooks/rest/webhook")
            if development:
                print(f"  Demo page:   {base}/webhooks/intranet/demo")
            print("  Stop with Ctrl+C.\n", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        code = server.wait()
        if code != 0:
            print(f"The Rasa server stopped with exit code {code} (see its message above); "
                  "stopping the action server too.", file=sys.stderr, flush=True)
        return code
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
