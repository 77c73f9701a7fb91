"""``serve(handler)``: the program every serving image runs once it has built its handler.

Order matters to the control plane: the model is loaded *before* the port is bound, so the first
``GET /ping`` that answers 200 means "model loaded" and a replica that cannot load its model never
looks healthy; it prints why and exits non-zero, which fails the endpoint with that reason. Then
:class:`~drydock.serving.model_server.http_server.ModelServer` (on uvloop) serves it until SIGTERM,
when it stops accepting, lets in-flight invocations finish and the process exits 0.
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
import time
from collections.abc import Mapping

from drydock.errors import DrydockError
from drydock.serving.model_server.environment import ServerEnvironment
from drydock.serving.model_server.handler import ModelHandler
from drydock.serving.model_server.http_server import ModelServer

log = logging.getLogger("drydock.serving.model_server")

HOST = "127.0.0.1"
#: The line format of SageMaker's serving containers (``serving.py`` of the XGBoost container).
LOG_FORMAT = "%(asctime)s %(levelname)s - %(name)s - %(message)s"
#: Exit statuses: the environment is unusable (2), the model or the port is (1).
USAGE_ERROR, FAILURE = 2, 1


def serve(handler: ModelHandler, environ: Mapping[str, str] | None = None) -> int:
    """Load ``handler``'s model, then serve it until SIGTERM; returns the process's exit status."""
    _configure_logging()
    try:
        env = ServerEnvironment.from_env(environ)
    except ValueError as error:
        log.error("Cannot start the model server: %s", error)
        return USAGE_ERROR
    started = time.monotonic()
    try:
        handler.load(env.model_dir)
    except DrydockError as error:  # the user's model is unusable: the message says why
        log.error("The model in %s could not be loaded: %s", env.model_dir, error.message)
        return FAILURE
    except Exception as error:
        log.exception("The model in %s could not be loaded: %s", env.model_dir, error)
        return FAILURE
    load_seconds = time.monotonic() - started
    try:
        listener = _listen(env.port)
    except OSError as error:
        log.error("Cannot listen on %s:%d: %s", HOST, env.port, error)
        return FAILURE
    return _run(handler, env, listener, load_seconds)


def _run(handler: ModelHandler, env: ServerEnvironment, listener: socket.socket, load_seconds: float) -> int:
    import uvloop  # only a process that got this far pays for it

    server = ModelServer(
        handler,
        workers=env.workers,
        timeout_seconds=env.timeout_seconds,
        max_body_bytes=env.max_body_bytes,
        max_payload_mb=env.max_payload_mb,
    )
    log.info(
        "Model server ready on %s:%d with %d inference threads; model loaded in %.3f s",
        HOST,
        env.port,
        env.workers,
        load_seconds,
    )
    # The model and the libraries live as long as the process: frozen, the collector stops walking
    # them, so a full collection never pauses an invocation for the whole heap's length.
    gc.collect()
    gc.freeze()
    try:
        uvloop.run(server.serve(listener))
    finally:
        server.close()
        listener.close()
    log.info("Model server stopped")
    return 0


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(2048)
    except OSError:
        listener.close()
        raise
    return listener


def _configure_logging() -> None:
    # One line per event on stderr, which the replica backend streams into the endpoint's log; a
    # program that configured logging already (script mode) keeps its own format.
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=LOG_FORMAT)
