"""Whether this Rasa server can answer, and stopping it when it never will.

`rasa run` loads the model before it listens; when loading fails it logs "Could not load model"
and serves anyway, answering every message with HTTP 200 and an empty list, forever, while its
root URL (`/`) tells a load balancer all is well. Rasa has no setting for this. The intranet
channel (in every credentials file of this project) adds two things through Sanic's own hooks:

- `stop_unless_model_loaded`, an `after_server_start` listener: when the model is not loaded
  (and no model server will bring one later), it prints what to do and ends the process with
  exit code 3, so `bot.serve`, systemd or Kubernetes see a failed start, not a silent server;
- `model_status`, behind `GET /webhooks/intranet/`: the readiness endpoint (200 with a loaded
  model, 503 otherwise) for load balancers and Kubernetes probes.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Tuple

logger = logging.getLogger(__name__)

EXIT_MODEL_NOT_LOADED = 3
WHAT_TO_DO = (
    "The Rasa server could not load its model, so it would answer nothing: stopping. "
    "See the error logged above. Train the model with `make train` (it writes models/advisor.tar.gz), "
    "check that `--model` points at that file, then start the server again."
)


def model_status(app: Any) -> Tuple[bool, str]:
    """(ready, "loaded" | "loading" | "not_loaded") for the app's agent."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None:
        return False, "loading"
    if agent.is_ready():
        return True, "loaded"
    return False, "not_loaded"


async def stop_unless_model_loaded(app: Any, loop: Any) -> None:
    """After the server started: exit with `EXIT_MODEL_NOT_LOADED` if it has no model."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.is_ready():
        return  # an app without Rasa's agent (tests build their own) or a loaded model
    if getattr(agent, "model_server", None) is not None:
        logger.warning("no model loaded yet; waiting for the model server to provide one")
        return
    logger.error(WHAT_TO_DO)
    print(f"ERROR: {WHAT_TO_DO}", file=sys.stderr, flush=True)
    for handler in logging.getLogger().handlers:
        handler.flush()
    # Sanic turns exceptions raised by listeners into log lines and keeps serving; nothing has
    # been received yet, so there is nothing to close cleanly.
    os._exit(EXIT_MODEL_NOT_LOADED)
