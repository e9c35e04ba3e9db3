"""Helpers for the security tests: the Rasa server app with this project's channels.

`serving` runs the app `rasa run` builds (`rasa.core.run.configure_app`) with the channels
given, on a free port, inside the test's event loop; `ServerThread` runs it in a thread of its
own, for tests that call it synchronously (Hypothesis). The assistant behind them is the tiny
model of tests/channels/test_intranet.py (keyword intents, rules), which answers in
milliseconds: what is tested here is the channels, not the model.
"""

from __future__ import annotations

import asyncio
import http.client as http_client
import json
import socket
import threading
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple

from bot.settings import Settings

SECRET = "security-test-secret-" + "s" * 32
INTRANET_ORIGIN = "https://intranet.example.com"


def settings(**env: str) -> Settings:
    """Company-like settings: a real secret, one allowed origin, the defaults otherwise."""
    return Settings.from_env({"ADVISOR_JWT_SECRET": SECRET, "ADVISOR_ALLOWED_ORIGINS": INTRANET_ORIGIN, **env})


def channels_for(channel_settings: Settings, rest: bool = True) -> List[Any]:
    from bot.channels.intranet import IntranetInput
    from bot.channels.rest import CheckedRestInput

    return [IntranetInput(channel_settings)] + ([CheckedRestInput()] if rest else [])


def _app(channels: List[Any], agent: Any, cors: Optional[str] = None, enable_api: bool = False) -> Any:
    from rasa.core.run import configure_app
    from sanic import Sanic

    Sanic.test_mode = True  # several apps named "rasa_server" in one process
    app = configure_app(input_channels=channels, cors=cors, enable_api=enable_api)
    app.ctx.agent = agent
    return app


@asynccontextmanager
async def serving(
    channels: List[Any], agent: Any, cors: Optional[str] = None, enable_api: bool = False
) -> AsyncIterator[str]:
    """The Rasa server app with `channels` (and Rasa's own `cors` and HTTP API when asked), on a
    free port; yields its base URL."""
    app = _app(channels, agent, cors, enable_api)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class ServerThread:
    """`serving` in a thread with its own event loop; `url` once started, `stop()` to end."""

    def __init__(self, channels: List[Any], agent: Any) -> None:
        self.channels, self.agent = channels, agent
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "ServerThread":
        self._thread.start()
        if not self._ready.wait(60):
            raise TimeoutError("the test server did not start")
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with serving(self.channels, self.agent) as url:
                self.url = url
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # noqa: BLE001 - reported by start()
            self._error = error
            self._ready.set()

    def run(self, coroutine: Any) -> Any:
        """Run `coroutine` on the server's loop (e.g. to read its tracker store) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def http(
    url: str, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, Any]] = None
) -> Tuple[int, Any, Dict[str, str]]:
    """One request with `http.client`, which sends byte header values as they are.

    Returns (status, parsed JSON or text, headers with lower-case names).
    """
    host = url.split("://", 1)[1]
    connection = http_client.HTTPConnection(host, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent = {"Content-Type": "application/json", **(headers or {})}
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body or b"")
        reply = connection.getresponse()
        raw = reply.read()
        text = raw.decode("utf-8", "replace")
        try:
            payload: Any = json.loads(text)
        except ValueError:
            payload = text
        return reply.status, payload, {key.lower(): value for key, value in reply.getheaders()}
    finally:
        connection.close()


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
