"""Brings a database to the newest schema with Alembic; run at every server start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from drydock.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database) -> None:
    """Apply every pending migration. Safe to call concurrently with a running reader."""
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        # "heads": independent table families (objects, logs, ...) may be separate branches.
        command.upgrade(config, "heads")
