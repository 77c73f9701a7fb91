"""Core tables: SageMaker-style resources, their tags, and the audit trail."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, UniqueConstraint

from drydock.store.schema import JsonDocument, UtcDateTime, binary_string, metadata

#: One row per SageMaker resource of any kind. The full Describe document is JSON; the columns are
#: the fields every List* call filters and sorts on (DESIGN: shared by every resource kind).
resources = Table(
    "resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("name", binary_string(256), nullable=False),
    # ARNs carry the lower-cased name, as AWS's do; uniqueness on the ARN makes names case-insensitive.
    Column("arn", binary_string(2048), nullable=False),
    Column("status", String(64), nullable=True),
    Column("creation_time", UtcDateTime(), nullable=False),
    Column("last_modified_time", UtcDateTime(), nullable=False),
    Column("document", JsonDocument(), nullable=False),
    UniqueConstraint("arn"),
    Index("ix_resources_kind_creation", "kind", "creation_time"),
    Index("ix_resources_kind_name", "kind", "name"),
)

tags = Table(
    "tags",
    metadata,
    Column("arn", binary_string(2048), primary_key=True),
    Column("key", binary_string(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime(), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("principal_arn", String(2048), nullable=False),
    Column("access_key_id", String(128), nullable=False),
    Column("source_ip", String(64), nullable=False),
    Column("service", String(64), nullable=False),
    Column("operation", String(256), nullable=False),
    Column("resource", String(2048), nullable=True),
    Column("status", Integer, nullable=False),
    Column("error_code", String(128), nullable=True),
    Index("ix_audit_events_time", "time"),
)
