"""Imports every table module so the shared metadata is complete (migrations and tests use this)."""

from drydock.store import log_tables, metric_tables, object_tables, tables

__all__ = ["log_tables", "metric_tables", "object_tables", "tables"]
