"""Starting and stopping the assistant's processes, and throwaway PostgreSQL databases and Redis prefixes.

Shared by the benchmarks (bench/) and the tests (tests/support.py adds pytest's skip-or-fail
when a service is missing). No pytest here: `bench/` runs without the test tools' conventions.
"""

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

from bot import rasa_main

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL = PROJECT_DIR / "models" / "advisor.tar.gz"


class ServiceUnavailable(RuntimeError):
    """PostgreSQL or Redis is not configured or not reachable."""


@contextmanager
def temporary_postgres_database(admin_url: Optional[str] = None) -> Iterator[str]:
    """A new, empty PostgreSQL database on `admin_url` (default TEST_POSTGRES_URL), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = admin_url or os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        raise ServiceUnavailable("TEST_POSTGRES_URL is not set")
    parsed = make_url(admin_url)
    name = f"advisor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # the server is not there
        admin.dispose()
        raise ServiceUnavailable(f"PostgreSQL not reachable: {error}") from error
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        from knowledge.db import engine_for

        engine_for(parsed.set(database=name).render_as_string(hide_password=False)).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def temporary_redis_prefix(base: Optional[str] = None) -> Iterator[str]:
    """A `LOCK_STORE_URL` on `base` (default TEST_REDIS_URL) with a key prefix of its own; its keys are removed after."""
    import redis
    from urllib.parse import urlsplit, urlunsplit

    base = base or os.environ.get("TEST_REDIS_URL")
    if not base:
        raise ServiceUnavailable("TEST_REDIS_URL is not set")
    prefix = f"advisortest{uuid.uuid4().hex[:12]}"  # Rasa accepts alphanumeric prefixes only
    client = redis.Redis.from_url(base, socket_timeout=5)
    try:
        client.ping()
    except Exception as error:
        client.close()
        raise ServiceUnavailable(f"Redis not reachable: {error}") from error
    parts = urlsplit(base)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, parts.path or "/0", f"key_prefix={prefix}", ""))
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500)) + list(client.scan_iter(match=f"{prefix}_*"))
        if keys:
            client.delete(*keys)
        client.close()


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
    project_dir: Path = PROJECT_DIR
    """The checkout whose code the processes run (bench/ab.py compares two)."""

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


def stop_assistant(assistant: Assistant) -> None:
    for process in reversed(assistant.processes):
        if process.poll() is None:
            process.terminate()
    for process in assistant.processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- several processes of one deployment: extra Rasa servers, stopping and restarting ----------
# (used by tests/deployment and bench/load.py)

def _rasa_server_command(model: Path, port: int, project_dir: Path = PROJECT_DIR) -> List[str]:
    """`rasa run` as the project starts it: through bot/rasa_main.py (without JAX), or plain `rasa` for
    a checkout from before that module (bench/ab.py compares with older ones)."""
    args = ["run", "--model", str(model), "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
            "--port", str(port)]
    if (project_dir / "bot" / "rasa_main.py").exists():
        return rasa_main.command(*args)
    return [str(Path(sys.executable).parent / "rasa"), *args]


def _port_of(url: str) -> int:
    from urllib.parse import urlsplit

    return int(urlsplit(url).port)


def _spawn_rasa_server(env: Dict[str, str], model: Path, port: int, log: Path, cwd: Path = PROJECT_DIR) -> subprocess.Popen:
    return subprocess.Popen(_rasa_server_command(model, port, cwd), env=env, cwd=cwd,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def start_rasa_server(
    assistant: Assistant, name: str = "rasa-2", model: Path = MODEL, port: Optional[int] = None, wait: bool = True
) -> Assistant:
    """One more Rasa server sharing `assistant`'s action server, stores and secret.

    Returns an `Assistant` for it (its only process is the new server); `stop_assistant` on it
    stops that server alone. With `wait=False`, call `wait_until_ready` before using it.
    """
    port = port or free_port()
    server = _spawn_rasa_server(assistant.env, model, port, assistant.log_dir / f"{name}.log", assistant.project_dir)
    other = Assistant(url=f"http://127.0.0.1:{port}", jwt_secret=assistant.jwt_secret, env=assistant.env,
                      log_dir=assistant.log_dir, processes=[server], project_dir=assistant.project_dir)
    other.model = model  # type: ignore[attr-defined]
    if wait:
        wait_until_ready(other)
    return other


def wait_until_ready(assistant: Assistant, timeout: float = 300) -> None:
    try:
        _wait(f"{assistant.url}/", assistant.processes[-1], timeout)
    except Exception:
        stop_assistant(assistant)
        raise


def start_deployment(
    tmp_dir: Path, extra_env: Optional[Dict[str, str]] = None, rasa_servers: int = 2, model: Path = MODEL
) -> List[Assistant]:
    """One action server and `rasa_servers` Rasa servers sharing it and the stores, started at once.

    The knowledge base is loaded first (the Rasa servers read its terms when they start). The
    first `Assistant` owns the action server; stop them all with `stop_deployment`.
    """
    first = start_assistant(tmp_dir, extra_env, model=model, wait=False)
    servers = [first] + [start_rasa_server(first, f"rasa-{n + 1}", model=model, wait=False)
                         for n in range(1, rasa_servers)]
    try:
        _wait(f"http://127.0.0.1:{action_server_port(first)}/health", first.processes[0], 120)
        for server in servers:
            _wait(f"{server.url}/", server.processes[-1], 300)
    except Exception:
        stop_deployment(servers)
        raise
    return servers


def start_assistant(
    tmp_dir: Path, extra_env: Optional[Dict[str, str]] = None, model: Path = MODEL, wait: bool = True,
    project_dir: Path = PROJECT_DIR,
) -> Assistant:
    """Migrate fresh databases, load the knowledge base, and start the action server and the Rasa
    server at the same time on free ports (with `wait`, until both answer)."""
    if not model.exists():
        raise FileNotFoundError(f"{model} is missing: run `make train` (make test does it)")
    tmp_dir.mkdir(parents=True, exist_ok=True)
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
    prepare_databases(env, project_dir)
    assistant = Assistant(url=f"http://127.0.0.1:{rasa_port}", jwt_secret=secret, env=env, log_dir=tmp_dir,
                          project_dir=project_dir)
    assistant.model = model  # type: ignore[attr-defined]
    assistant.processes.append(_spawn_action_server(env, actions_port, tmp_dir / "actions.log", project_dir))
    assistant.processes.append(_spawn_rasa_server(env, model, rasa_port, tmp_dir / "rasa.log", project_dir))
    if wait:
        try:
            _wait(f"http://127.0.0.1:{actions_port}/health", assistant.processes[0], 120)
            _wait(f"{assistant.url}/", assistant.processes[-1], 300)
        except Exception:
            stop_assistant(assistant)
            raise
    return assistant


@contextmanager
def environment(env: Dict[str, str]) -> Iterator[None]:
    """`os.environ` replaced by `env` for the duration (the project's settings read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def tracker_store_for(env: Dict[str, str]):
    """The project's tracker store (bot.stores.AdvisorTrackerStore) on `env`'s TRACKER_STORE_URL."""
    from rasa.shared.core.domain import Domain

    from bot.stores import AdvisorTrackerStore

    with environment(env):
        return AdvisorTrackerStore(domain=Domain.load(str(PROJECT_DIR / "bot" / "domain")))


def prepare_databases(env: Dict[str, str], project_dir: Path = PROJECT_DIR) -> None:
    """Migrate both databases of `env` and load the knowledge base, as `make run` does."""
    for command in (["db", "upgrade"], ["kb", "load"]):
        subprocess.run([str(Path(sys.executable).parent / "advisor"), *command], env=env, check=True,
                       cwd=project_dir, stdout=subprocess.DEVNULL)


def stop_deployment(servers: List[Assistant]) -> None:
    for server in reversed(servers):
        stop_assistant(server)


def action_server_port(assistant: Assistant) -> int:
    return _port_of(assistant.env["ACTION_ENDPOINT_URL"])


def _spawn_action_server(env: Dict[str, str], port: int, log: Path, cwd: Path = PROJECT_DIR) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        env=env, cwd=cwd, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )


def _end(process: subprocess.Popen, kill: bool = False) -> None:
    if process.poll() is None:
        process.kill() if kill else process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def stop_action_server(assistant: Assistant) -> None:
    """Stop the action server `assistant` started (its first process)."""
    _end(assistant.processes[0])


def restart_action_server(assistant: Assistant) -> None:
    """Start the action server again on its port, and wait until it answers."""
    port = action_server_port(assistant)
    _end(assistant.processes[0])
    assistant.processes[0] = _spawn_action_server(assistant.env, port, assistant.log_dir / "actions.log",
                                                  assistant.project_dir)
    _wait(f"http://127.0.0.1:{port}/health", assistant.processes[0], 120)


def kill_rasa_server(assistant: Assistant) -> None:
    """SIGKILL the Rasa server (its last process): no shutdown handlers run."""
    _end(assistant.processes[-1], kill=True)


def restart_rasa_server(assistant: Assistant, timeout: float = 300) -> None:
    """Start the Rasa server again on the same port, with the same model and stores."""
    port = _port_of(assistant.url)
    _end(assistant.processes[-1])
    model = getattr(assistant, "model", MODEL)
    assistant.processes[-1] = _spawn_rasa_server(assistant.env, model, port, assistant.log_dir / f"rasa-{port}.log",
                                                 assistant.project_dir)
    _wait(f"{assistant.url}/", assistant.processes[-1], timeout)
