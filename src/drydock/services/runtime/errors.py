"""The runtime's routing error (its ValidationError lives in drydock.errors, since hosting raises it too)."""

from __future__ import annotations

from drydock.errors import UnknownOperationError


class UnknownRoute(UnknownOperationError):
    """A rest-json request whose method and path match no modelled operation: AWS answers 404."""

    status = 404
