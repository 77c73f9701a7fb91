"""Imports every table module so the shared metadata is complete (migrations and tests use this)."""

from drydock.store import tables

__all__ = ["tables"]
