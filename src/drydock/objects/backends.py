"""Chooses the ObjectStore implementation from Settings (embedded unless a URL is configured)."""

from __future__ import annotations

from drydock.config import Settings
from drydock.objects.embedded import EmbeddedObjectStore
from drydock.objects.external import ExternalObjectStore
from drydock.objects.port import ObjectStore
from drydock.store.database import Database


def open_object_store(settings: Settings, db: Database) -> ObjectStore:
    """The embedded store under ``<home>/objects`` (its index in ``db``), or an external S3-compatible
    endpoint when ``settings.object_store`` is its URL. Call once, at start: the embedded store
    sweeps what an earlier crash left behind."""
    if settings.uses_embedded_object_store():
        return EmbeddedObjectStore(settings.home / "objects", db)
    return ExternalObjectStore(
        settings.object_store,
        settings.object_store_access_key_id,
        settings.object_store_secret_access_key,
        settings.region,
    )
