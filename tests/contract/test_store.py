"""The store contract suite on SQLite and PostgreSQL (backends come from this folder's conftest)."""

from __future__ import annotations

import psycopg
import pytest

from drydock.testing.postgres import PostgresCluster
from drydock.testing.store_contract import StoreContract


class TestStore(StoreContract):
    """Every test of :class:`StoreContract`, once per backend."""


@pytest.mark.postgres
def test_throwaway_cluster_is_private_and_leaves_nothing_behind(postgres_cluster: PostgresCluster) -> None:
    with psycopg.connect(postgres_cluster.dsn()) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    cluster = PostgresCluster()
    cluster.start()
    base, process = cluster.base, cluster.process
    assert base is not None and process is not None and cluster.port != postgres_cluster.port
    url = cluster.create_database("scratch")
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/scratch"
    if cluster.server_version >= 150000:
        with psycopg.connect(cluster.dsn("scratch")) as conn:
            # Natural-language default collation, so only COLLATE "C" columns sort by code point.
            assert conn.execute("SELECT 'a' < 'B'").fetchone() == (True,)
    cluster.stop()
    assert process.poll() is not None and not base.exists()
    cluster.stop()  # idempotent
