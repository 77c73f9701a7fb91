"""The store: SQLAlchemy 2 over SQLite (WAL, the embedded default) or PostgreSQL, with Alembic migrations.

Everything durable that is not bytes lives here: resources and their tags, the audit trail, CloudWatch
Logs events and the embedded object store's key index.
"""
