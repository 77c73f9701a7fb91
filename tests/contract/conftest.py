"""Backends for the contract suites: every store test runs on SQLite and on a real PostgreSQL.

PostgreSQL is a throwaway cluster on a free loopback port, started once per test session. Where its
binaries are missing the PostgreSQL half is skipped with the reason, except in CI (``CI=true``),
where a missing backend must fail rather than pass by omission.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import drydock.store.all_tables  # noqa: F401  (every table, so a test can empty them all)
from drydock.store.database import Database
from drydock.store.migrate import upgrade
from drydock.store.schema import metadata
from drydock.testing.postgres import PostgresCluster, PostgresUnavailable, shared_cluster

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> PostgresCluster:
    """The session's PostgreSQL cluster (skipped locally, failed in CI, when it cannot run)."""
    try:
        return shared_cluster()
    except PostgresUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")


@pytest.fixture(scope="session")
def postgres_store_url(postgres_cluster: PostgresCluster) -> str:
    """One migrated database for the session; each test empties it first (CREATE DATABASE per test
    costs 15 ms on an idle machine but 300 ms on a busy one, DELETE FROM a few tables next to nothing)."""
    url = postgres_cluster.create_database(f"contract_{os.getpid()}")
    database = Database(url)
    upgrade(database)
    database.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database holding no rows, on the parametrized backend."""
    if backend == "postgresql":
        database = Database(request.getfixturevalue("postgres_store_url"))
        with database.transaction() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    else:
        database = Database(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def empty_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no tables at all, on the parametrized backend (for migration tests)."""
    if backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield database
        database.dispose()
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"empty_{os.getpid()}_{next(_numbers)}"
    database = Database(cluster.create_database(name))
    yield database
    database.dispose()
    cluster.drop_database(name)
