"""A team server on PostgreSQL: the same boto3 calls work, and data survives a crash and restart."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from drydock.testing.live_server import LiveServer
from drydock.testing.postgres import PostgresUnavailable, shared_cluster
from tests.e2e.test_models import XGB_IMAGE, error_of

pytestmark = pytest.mark.postgres
_numbers = itertools.count()


@pytest.fixture
def postgres_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """A live server whose DRYDOCK_DB is a fresh database on the session's PostgreSQL, and its DSN."""
    try:
        cluster = shared_cluster()
    except PostgresUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")
    name = f"e2e_{os.getpid()}_{next(_numbers)}"
    live = LiveServer(tmp_path / "home", db=cluster.create_database(name))
    live.start()
    yield live, cluster.dsn(name)
    live.stop()
    cluster.drop_database(name)


def test_models_on_postgresql_survive_a_crash(postgres_server: tuple[LiveServer, str]) -> None:
    live, dsn = postgres_server
    client: Any = live.client("sagemaker")
    for name in ["pg-b", "PG-a", "pg-c"]:
        client.create_model(
            ModelName=name,
            PrimaryContainer={"Image": XGB_IMAGE, "Environment": {"NOTE": f"ünïcode {name}"}},
            Tags=[{"Key": "backend", "Value": "postgresql"}],
        )
    code, message = error_of(client.create_model, ModelName="pg-A", PrimaryContainer={"Image": XGB_IMAGE})
    assert code == "ValidationException" and "Cannot create already existing model" in message

    with psycopg.connect(dsn) as conn:  # the rows really are in PostgreSQL, not in a SQLite file
        stored = conn.execute("SELECT name FROM resources WHERE kind = 'model' ORDER BY name").fetchall()
    assert [row[0] for row in stored] == ["PG-a", "pg-b", "pg-c"]

    live.restart()  # SIGKILL, then a fresh process on the same database
    client = live.client("sagemaker")

    described = client.describe_model(ModelName="pg-b")
    assert described["PrimaryContainer"]["Environment"] == {"NOTE": "ünïcode pg-b"}
    assert described["ModelArn"].endswith(":model/pg-b")
    assert client.list_tags(ResourceArn=described["ModelArn"])["Tags"] == [{"Key": "backend", "Value": "postgresql"}]
    # Code-point order, whatever the database's collation: upper case sorts first, as on AWS.
    by_name = client.list_models(SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in by_name] == ["PG-a", "pg-b", "pg-c"]
    pages = client.get_paginator("list_models").paginate(NameContains="PG-", PaginationConfig={"PageSize": 2})
    newest_first = [m["ModelName"] for page in pages for m in page["Models"]]
    assert newest_first == ["pg-c", "PG-a", "pg-b"]

    client.delete_model(ModelName="pg-c")
    code, message = error_of(client.describe_model, ModelName="pg-c")
    assert code == "ValidationException" and message.startswith("Could not find model")
