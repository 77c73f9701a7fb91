"""Runs the gateway under uvicorn in the foreground until SIGINT/SIGTERM, then shuts down cleanly."""

from __future__ import annotations

import logging

import uvicorn

from drydock.config import Settings
from drydock.server.app import build_app


def serve(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app = build_app(settings)
    config = uvicorn.Config(
        app.gateway,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_level=settings.log_level,
        access_log=False,
        # botocore sends "Expect: 100-continue" on uploads; h11/httptools answer it when the body is read.
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    logging.getLogger("drydock.server").info(
        "drydock listening on http://%s:%d (home %s, store %s)",
        settings.host,
        settings.port,
        settings.home,
        app.db.dialect,
    )
    server.run()  # installs SIGINT/SIGTERM handlers and drains in-flight requests
