"""The composition root: builds the ASGI app and wires concrete implementations to their ports."""
