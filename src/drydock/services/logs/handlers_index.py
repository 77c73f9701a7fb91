"""Imports every Logs handler module so its operations are registered on :data:`api`."""

from drydock.services.logs import events as _events
from drydock.services.logs import groups as _groups
from drydock.services.logs.api import api

__all__ = ["_events", "_groups", "api"]
