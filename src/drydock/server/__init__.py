"""The composition root: builds the gateway and wires concrete implementations to their ports."""
