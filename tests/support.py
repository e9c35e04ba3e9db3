"""Helpers for tests: throwaway PostgreSQL databases and the running assistant."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL = PROJECT_DIR / "models" / "advisor.tar.gz"


def services_required() -> bool:
    """In CI a missing PostgreSQL or Redis is a failure, not a skip."""
    return os.environ.get("ADVISOR_REQUIRE_SERVICES") == "1"


def postgres_admin_url() -> Optional[str]:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        if services_required():
            pytest.fail("TEST_POSTGRES_URL is not set but ADVISOR_REQUIRE_SERVICES=1")
        pytest.skip("TEST_POSTGRES_URL is not set")
    return url


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test run, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(postgres_admin_url())
    name = f"advisor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # the server is not there
        admin.dispose()
        if services_required():
            raise
        pytest.skip(f"PostgreSQL not reachable: {error}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        from knowledge.db import engine_for

        engine_for(admin_url.set(database=name).render_as_string(hide_password=False)).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class Assistant:
    """A running action server and Rasa server, started by the tests."""

    url: str
    jwt_secret: str
    env: Dict[str, str]
    log_dir: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    @property
    def server_pid(self) -> int:
        return self.processes[-1].pid

    def post(self, path: str, body: Any, headers: Optional[Dict[str, str]] = None, raw: Optional[bytes] = None):
        """POST and return (status, parsed JSON or text)."""
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                payload = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            payload, status = error.read().decode(), error.code
        try:
            return status, json.loads(payload)
        except json.JSONDecodeError:
            return status, payload

    def say(self, sender: str, text: str) -> List[Dict[str, Any]]:
        status, messages = self.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, (status, messages)
        return messages


def start_assistant(
    tmp_dir: Path, extra_env: Optional[Dict[str, str]] = None, model: Path = MODEL
) -> Assistant:
    """Load the knowledge base into a fresh database and start both servers on free ports."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make train` (make test does it)")
    rasa_port, actions_port = free_port(), free_port()
    secret = "test-secret-" + uuid.uuid4().hex
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KNOWLEDGE_DB_URL": f"sqlite:///{tmp_dir / 'knowledge.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{tmp_dir / 'tracker.db'}",
        "ADVISOR_JWT_SECRET": secret,
        "ADVISOR_DEV_MODE": "false",
        "ADVISOR_ALLOWED_ORIGINS": "http://intranet.example",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "LOCK_STORE_URL": "",
        **(extra_env or {}),
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "advisor"), "kb", "load"], env=env, check=True, cwd=PROJECT_DIR,
                   stdout=subprocess.DEVNULL)
    assistant = Assistant(url=f"http://127.0.0.1:{rasa_port}", jwt_secret=secret, env=env, log_dir=tmp_dir)
    actions = subprocess.Popen(
        [str(bin_dir / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        env=env, cwd=PROJECT_DIR, stdout=open(tmp_dir / "actions.log", "wb"), stderr=subprocess.STDOUT,
    )
    assistant.processes.append(actions)
    try:
        _wait(f"http://127.0.0.1:{actions_port}/health", actions, 120)
        server = subprocess.Popen(
            [str(bin_dir / "rasa"), "run", "--model", str(model), "--endpoints", "bot/endpoints.yml",
             "--credentials", "bot/credentials.yml", "--port", str(rasa_port)],
            env=env, cwd=PROJECT_DIR, stdout=open(tmp_dir / "rasa.log", "wb"), stderr=subprocess.STDOUT,
        )
        assistant.processes.append(server)
        _wait(f"{assistant.url}/", server, 300)
    except Exception:
        stop_assistant(assistant)
        raise
    return assistant


def stop_assistant(assistant: Assistant) -> None:
    for process in reversed(assistant.processes):
        if process.poll() is None:
            process.terminate()
    for process in assistant.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
