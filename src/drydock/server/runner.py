"""Runs the gateway in the foreground until SIGINT/SIGTERM, then shuts down cleanly."""

from __future__ import annotations

import gc
import logging

from drydock.config import Settings
from drydock.server.app import build_app
from drydock.wire.http_server import HttpServer, run


def serve(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app = build_app(settings)
    # The startup hooks start the reconcilers before the port opens; the shutdown hooks run after the
    # requests in flight have been answered (up to 10 s).
    server = HttpServer(app.gateway.handle, on_startup=[*app.on_startup, _freeze], on_shutdown=app.on_shutdown)
    logging.getLogger("drydock.server").info(
        "drydock listening on http://%s:%d (home %s, store %s)",
        settings.host,
        settings.port,
        settings.home,
        app.db.dialect,
    )
    run(server, settings.host, settings.port)


async def _freeze() -> None:
    # What startup built — botocore's service models, the routes, the store's metadata: ~150,000
    # objects — lives as long as the process. Frozen, the collector stops walking it: a full
    # collection otherwise paused every request in flight for ~70 ms now and then.
    gc.collect()
    gc.freeze()
