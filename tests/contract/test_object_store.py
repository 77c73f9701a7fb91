"""The ObjectStore contract on the embedded store (SQLite and PostgreSQL index) and on the external
store pointed at a live Drydock server's own S3 gateway."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drydock.objects.embedded import EmbeddedObjectStore
from drydock.objects.external import ExternalObjectStore
from drydock.objects.port import ObjectStore
from drydock.store.database import Database
from drydock.testing.live_server import ACCESS_KEY, REGION, SECRET_KEY, LiveServer
from drydock.testing.object_store_contract import ObjectStoreContract


class TestEmbeddedObjectStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, db: Database, tmp_path: Path) -> Iterator[ObjectStore]:
        store = EmbeddedObjectStore(tmp_path / "objects", db)
        yield store
        store.close()

    def test_local_path_is_the_current_version(self, store: EmbeddedObjectStore, bucket: str) -> None:
        store.put_object(bucket, "k", io.BytesIO(b"v1"))
        first = store.local_path(bucket, "k")
        assert first is not None and first.read_bytes() == b"v1"
        store.put_object(bucket, "k", io.BytesIO(b"v2"))
        second = store.local_path(bucket, "k")
        assert second is not None and second != first and second.read_bytes() == b"v2"
        assert not first.exists()  # the replaced version's file is gone

    def test_start_sweeps_what_a_crash_leaves(self, db: Database, tmp_path: Path) -> None:
        root = tmp_path / "objects"
        store = EmbeddedObjectStore(root, db)
        store.create_bucket("sweep")
        store.put_object("sweep", "kept", io.BytesIO(b"kept"))
        kept = store.local_path("sweep", "kept")
        # What a SIGKILL can leave: a temp file mid-write, and a renamed blob whose row never committed.
        (root / "tmp" / "half.part").write_bytes(b"half")
        orphan = root / "blobs" / "ff" / "ff00orphan"
        orphan.parent.mkdir(exist_ok=True)
        orphan.write_bytes(b"orphan")
        EmbeddedObjectStore(root, db)
        assert os.listdir(root / "tmp") == []
        assert not orphan.exists()
        assert kept is not None and kept.read_bytes() == b"kept"


class TestExternalObjectStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, server: LiveServer) -> Iterator[ObjectStore]:
        store = ExternalObjectStore(server.url, ACCESS_KEY, SECRET_KEY, REGION)
        yield store
        store.close()

    def test_local_path_is_none(self, store: ObjectStore, bucket: str) -> None:
        store.put_object(bucket, "k", io.BytesIO(b"v"))
        assert store.local_path(bucket, "k") is None

    def test_large_streamed_put_becomes_multipart(self, store: ObjectStore, bucket: str) -> None:
        data = os.urandom(9 * 1024 * 1024)
        info = store.put_object(bucket, "streamed", io.BytesIO(data))
        assert info.size == len(data) and info.parts_count == 2
        with store.get_object(bucket, "streamed") as reader:
            assert reader.read() == data
