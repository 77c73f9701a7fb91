"""The ObjectStore contract: every implementation passes these tests unchanged.

Use it by subclassing :class:`ObjectStoreContract` in a test module and providing a ``store``
fixture that yields the implementation under test (see ``tests/contract/test_object_store.py``).
Each test makes its own uniquely named bucket, so one store may serve the whole session.
"""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from drydock.errors import S3Error
from drydock.objects.model import ByteRange, CompletedPart, ObjectMetadata, WriteCondition
from drydock.objects.port import ObjectStore

MiB = 1024 * 1024
#: Keys S3 allows that naive stores get wrong: a key that is also a prefix, unicode, spaces, plus,
#: percent, doubled and trailing slashes, dots, and a long one.
AWKWARD_KEYS = [
    "a",
    "a/b",
    "a/b/c",
    "dir/",
    "dir//double",
    "/leading-slash",
    "with space.txt",
    "plus+sign",
    "percent%20literal",
    "question?mark&amp=x",
    "unicodé/中文/😀.csv",
    "./dot/../dotdot",
    "tab\tand\nnewline",
    "k" * 1000,
]


@contextmanager
def raises_s3(code: str, status: int | None = None) -> Iterator[None]:
    with pytest.raises(S3Error) as caught:
        yield
    assert caught.value.code == code, f"expected {code}, got {caught.value.code}: {caught.value.message}"
    if status is not None:
        assert caught.value.status == status


class FailingSource(io.RawIOBase):
    """Yields ``good`` bytes, then raises: a client that disconnects or sends a bad checksum."""

    def __init__(self, good: bytes) -> None:
        self.good = io.BytesIO(good)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.good.read(size)
        if not data:
            raise ConnectionResetError("client went away")
        return data


def _put(store: ObjectStore, bucket: str, key: str, data: bytes, **kwargs: object) -> str:
    return store.put_object(bucket, key, io.BytesIO(data), **kwargs).etag  # type: ignore[arg-type]


def _get(store: ObjectStore, bucket: str, key: str, byte_range: ByteRange | None = None) -> bytes:
    with store.get_object(bucket, key, byte_range) as reader:
        return reader.read()


def _md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


class ObjectStoreContract:
    @pytest.fixture
    def bucket(self, store: ObjectStore) -> Iterator[str]:
        name = f"contract-{uuid.uuid4().hex[:16]}"
        store.create_bucket(name)
        yield name

    # --- buckets --------------------------------------------------------------------------------

    def test_bucket_lifecycle(self, store: ObjectStore) -> None:
        name = f"life-{uuid.uuid4().hex[:12]}"
        created = store.create_bucket(name)
        assert created.name == name and created.region == "us-east-1"
        assert store.head_bucket(name).name == name
        assert name in [b.name for b in store.list_buckets()]
        store.delete_bucket(name)
        with raises_s3("NoSuchBucket", 404):
            store.head_bucket(name)
        assert name not in [b.name for b in store.list_buckets()]

    def test_list_buckets_is_sorted(self, store: ObjectStore) -> None:
        stem = uuid.uuid4().hex[:10]
        for suffix in ("b", "a", "c"):
            store.create_bucket(f"sort-{stem}-{suffix}")
        names = [b.name for b in store.list_buckets() if b.name.startswith(f"sort-{stem}")]
        assert names == [f"sort-{stem}-a", f"sort-{stem}-b", f"sort-{stem}-c"]

    def test_bucket_region_is_kept(self, store: ObjectStore) -> None:
        name = f"region-{uuid.uuid4().hex[:12]}"
        store.create_bucket(name, "eu-west-1")
        assert store.head_bucket(name).region == "eu-west-1"

    def test_creating_an_existing_bucket_fails(self, store: ObjectStore, bucket: str) -> None:
        with raises_s3("BucketAlreadyOwnedByYou", 409):
            store.create_bucket(bucket)

    @pytest.mark.parametrize("name", ["ab", "UPPER", "under_score", "-dash", "a..b", "192.168.1.1", "x" * 64])
    def test_invalid_bucket_names_are_refused(self, store: ObjectStore, name: str) -> None:
        with raises_s3("InvalidBucketName", 400):
            store.create_bucket(name)

    def test_deleting_a_bucket_needs_it_empty(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "k", b"x")
        with raises_s3("BucketNotEmpty", 409):
            store.delete_bucket(bucket)
        store.delete_object(bucket, "k")
        store.create_multipart_upload(bucket, "pending")  # unfinished uploads do not block deletion
        store.delete_bucket(bucket)
        with raises_s3("NoSuchBucket"):
            store.delete_bucket(bucket)

    # --- objects --------------------------------------------------------------------------------

    def test_put_and_get_round_trip_with_metadata(self, store: ObjectStore, bucket: str) -> None:
        metadata = ObjectMetadata(
            content_type="text/csv",
            user={"origin": "contract", "run": "7"},
            system={"CacheControl": "max-age=60", "ContentEncoding": "identity", "ContentDisposition": "inline"},
        )
        etag = _put(store, bucket, "data.csv", b"a,b\n1,2\n", metadata=metadata)
        assert etag == _md5(b"a,b\n1,2\n")
        info = store.head_object(bucket, "data.csv")
        assert (info.size, info.etag, info.parts_count) == (8, etag, None)
        assert info.metadata.content_type == "text/csv"
        assert dict(info.metadata.user) == {"origin": "contract", "run": "7"}
        assert info.metadata.system["CacheControl"] == "max-age=60"
        assert info.metadata.system["ContentDisposition"] == "inline"
        assert _get(store, bucket, "data.csv") == b"a,b\n1,2\n"

    def test_put_from_a_file_path(self, store: ObjectStore, bucket: str, tmp_path: Path) -> None:
        path = tmp_path / "local.bin"
        path.write_bytes(b"\x00\x01" * 1000)
        info = store.put_object(bucket, "from-file", path)
        assert info.size == 2000
        assert _get(store, bucket, "from-file") == b"\x00\x01" * 1000

    def test_empty_object(self, store: ObjectStore, bucket: str) -> None:
        assert _put(store, bucket, "empty", b"") == _md5(b"")
        assert store.head_object(bucket, "empty").size == 0
        assert _get(store, bucket, "empty") == b""

    def test_default_content_type(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "plain", b"x")
        assert store.head_object(bucket, "plain").metadata.content_type == "binary/octet-stream"

    def test_overwrite_replaces_bytes_and_metadata(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "k", b"first", metadata=ObjectMetadata(user={"v": "1"}))
        _put(store, bucket, "k", b"second version", metadata=ObjectMetadata(user={"w": "2"}))
        info = store.head_object(bucket, "k")
        assert info.size == len(b"second version") and dict(info.metadata.user) == {"w": "2"}
        assert _get(store, bucket, "k") == b"second version"
        assert [o.key for o in store.list_objects(bucket).objects] == ["k"]

    def test_a_failed_write_leaves_the_previous_version(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "k", b"old")
        with pytest.raises(Exception):  # noqa: B017 - whatever the source raised
            store.put_object(bucket, "k", FailingSource(b"new bytes that never finish"))  # type: ignore[arg-type]
        assert _get(store, bucket, "k") == b"old"
        with pytest.raises(Exception):  # noqa: B017
            store.put_object(bucket, "never", FailingSource(b"x" * 100))  # type: ignore[arg-type]
        with raises_s3("NoSuchKey"):
            store.head_object(bucket, "never")
        assert [o.key for o in store.list_objects(bucket).objects] == ["k"]

    def test_a_reader_keeps_its_version_across_an_overwrite(self, store: ObjectStore, bucket: str) -> None:
        old = b"o" * (3 * MiB)
        _put(store, bucket, "k", old)
        with store.get_object(bucket, "k") as reader:
            first = reader.read(1024)
            _put(store, bucket, "k", b"n" * (3 * MiB))
            rest = reader.read()
        assert first + rest == old
        assert _get(store, bucket, "k")[:1] == b"n"

    def test_ranges(self, store: ObjectStore, bucket: str) -> None:
        data = bytes(range(100))
        _put(store, bucket, "r", data)
        assert _get(store, bucket, "r", ByteRange(10, 19)) == data[10:20]
        assert _get(store, bucket, "r", ByteRange(90)) == data[90:]
        assert _get(store, bucket, "r", ByteRange(suffix_length=5)) == data[-5:]
        assert _get(store, bucket, "r", ByteRange(suffix_length=500)) == data
        assert _get(store, bucket, "r", ByteRange(95, 1000)) == data[95:]
        with store.get_object(bucket, "r", ByteRange(10, 19)) as reader:
            assert (reader.span, reader.length, reader.info.size) == ((10, 19), 10, 100)
        with raises_s3("InvalidRange", 416):
            store.get_object(bucket, "r", ByteRange(100))

    def test_missing_things(self, store: ObjectStore, bucket: str) -> None:
        with raises_s3("NoSuchKey", 404):
            store.head_object(bucket, "absent")
        with raises_s3("NoSuchKey", 404):
            store.get_object(bucket, "absent")
        with raises_s3("NoSuchBucket", 404):
            store.head_object("no-such-bucket-anywhere", "k")
        with raises_s3("NoSuchBucket", 404):
            store.put_object("no-such-bucket-anywhere", "k", io.BytesIO(b"x"))
        with raises_s3("NoSuchBucket", 404):
            store.list_objects("no-such-bucket-anywhere")

    def test_delete_is_idempotent(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "k", b"x")
        store.delete_object(bucket, "k")
        store.delete_object(bucket, "k")
        with raises_s3("NoSuchKey"):
            store.head_object(bucket, "k")

    def test_delete_many(self, store: ObjectStore, bucket: str) -> None:
        for key in ("a", "b", "c"):
            _put(store, bucket, key, key.encode())
        outcomes = store.delete_objects(bucket, ["a", "c", "missing"])
        assert [(o.key, o.error_code) for o in outcomes] == [("a", None), ("c", None), ("missing", None)]
        assert [o.key for o in store.list_objects(bucket).objects] == ["b"]

    def test_copy_keeps_or_replaces_metadata(self, store: ObjectStore, bucket: str) -> None:
        _put(store, bucket, "src", b"payload", metadata=ObjectMetadata("text/plain", {"m": "1"}))
        kept = store.copy_object(bucket, "src", bucket, "kept")
        assert kept.etag == _md5(b"payload")
        info = store.head_object(bucket, "kept")
        assert (info.metadata.content_type, dict(info.metadata.user)) == ("text/plain", {"m": "1"})
        store.copy_object(bucket, "src", bucket, "replaced", ObjectMetadata("application/json", {"n": "2"}))
        info = store.head_object(bucket, "replaced")
        assert (info.metadata.content_type, dict(info.metadata.user)) == ("application/json", {"n": "2"})
        assert _get(store, bucket, "replaced") == b"payload"
        store.delete_object(bucket, "src")
        assert _get(store, bucket, "kept") == b"payload"  # a copy does not share the source's fate

    def test_copy_across_buckets_and_errors(self, store: ObjectStore, bucket: str) -> None:
        other = f"copy-{uuid.uuid4().hex[:12]}"
        store.create_bucket(other)
        _put(store, bucket, "src", b"xyz")
        store.copy_object(bucket, "src", other, "dst")
        assert _get(store, other, "dst") == b"xyz"
        with raises_s3("NoSuchKey"):
            store.copy_object(bucket, "absent", other, "dst2")
        with raises_s3("NoSuchBucket"):
            store.copy_object(bucket, "src", "no-such-bucket-anywhere", "dst")

    def test_write_conditions(self, store: ObjectStore, bucket: str) -> None:
        etag = _put(store, bucket, "k", b"v1", condition=WriteCondition(if_none_match=True))
        with raises_s3("PreconditionFailed", 412):
            _put(store, bucket, "k", b"v2", condition=WriteCondition(if_none_match=True))
        with raises_s3("PreconditionFailed", 412):
            _put(store, bucket, "k", b"v2", condition=WriteCondition(if_match='"0123"'))
        _put(store, bucket, "k", b"v3", condition=WriteCondition(if_match=etag))
        assert _get(store, bucket, "k") == b"v3"

    @pytest.mark.parametrize("key", AWKWARD_KEYS)
    def test_awkward_keys_round_trip(self, store: ObjectStore, bucket: str, key: str) -> None:
        _put(store, bucket, key, key.encode())
        assert _get(store, bucket, key) == key.encode()
        assert store.list_objects(bucket, prefix=key).objects[0].key == key
        store.delete_object(bucket, key)
        with raises_s3("NoSuchKey"):
            store.head_object(bucket, key)

    def test_key_limits(self, store: ObjectStore, bucket: str) -> None:
        with raises_s3("KeyTooLongError", 400):
            _put(store, bucket, "k" * 1025, b"x")
        _put(store, bucket, "é" * 512, b"x")  # 1024 bytes of UTF-8 is the most S3 allows

    def test_concurrent_writers_leave_one_whole_version(self, store: ObjectStore, bucket: str) -> None:
        bodies = [bytes([n]) * (256 * 1024) for n in range(8)]
        errors: list[BaseException] = []

        def write(body: bytes) -> None:
            try:
                _put(store, bucket, "contended", body)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, [f"{type(e).__name__}: {e}" for e in errors]
        assert _get(store, bucket, "contended") in bodies

    # --- listing --------------------------------------------------------------------------------

    def test_listing_order_prefix_and_start_after(self, store: ObjectStore, bucket: str) -> None:
        keys = ["b", "a", "a/1", "a/2", "ab", "B", "é", "z", "😀"]
        for key in keys:
            _put(store, bucket, key, b"x")
        listed = [o.key for o in store.list_objects(bucket).objects]
        assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))
        assert [o.key for o in store.list_objects(bucket, prefix="a").objects] == ["a", "a/1", "a/2", "ab"]
        assert [o.key for o in store.list_objects(bucket, prefix="a", start_after="a/1").objects] == ["a/2", "ab"]
        assert store.list_objects(bucket, prefix="q").objects == []
        first = store.list_objects(bucket).objects[0]
        assert (first.size, first.etag) == (1, _md5(b"x"))

    def test_delimiter_rolls_up_common_prefixes(self, store: ObjectStore, bucket: str) -> None:
        for key in ["a", "a/b", "a/c/d", "b/x", "b/y", "c", "photos/2024/1.jpg", "photos/2024/2.jpg"]:
            _put(store, bucket, key, b"x")
        page = store.list_objects(bucket, delimiter="/")
        assert [o.key for o in page.objects] == ["a", "c"]
        assert page.common_prefixes == ["a/", "b/", "photos/"]
        page = store.list_objects(bucket, prefix="a/", delimiter="/")
        assert ([o.key for o in page.objects], page.common_prefixes) == (["a/b"], ["a/c/"])
        page = store.list_objects(bucket, prefix="photos/", delimiter="/")
        assert (page.objects, page.common_prefixes) == ([], ["photos/2024/"])

    def test_pagination_with_delimiter_visits_everything_once(self, store: ObjectStore, bucket: str) -> None:
        keys = [f"d{n}/f{m}" for n in range(4) for m in range(3)] + [f"top{n}" for n in range(5)]
        for key in keys:
            _put(store, bucket, key, b"x")
        seen: list[str] = []
        start = ""
        pages = 0
        while True:
            page = store.list_objects(bucket, delimiter="/", start_after=start, max_keys=3)
            entries = [o.key for o in page.objects] + page.common_prefixes
            assert len(entries) <= 3
            seen.extend(entries)
            pages += 1
            if not page.is_truncated:
                break
            assert page.next_start_after is not None
            start = page.next_start_after
        assert sorted(seen) == sorted([f"d{n}/" for n in range(4)] + [f"top{n}" for n in range(5)])
        assert len(seen) == len(set(seen)) and pages == 3

    def test_pagination_without_delimiter(self, store: ObjectStore, bucket: str) -> None:
        keys = [f"k{n:03d}" for n in range(25)]
        for key in keys:
            _put(store, bucket, key, b"x")
        page = store.list_objects(bucket, max_keys=10)
        assert page.is_truncated and page.next_start_after == "k009" and len(page.objects) == 10
        page = store.list_objects(bucket, start_after="k019", max_keys=10)
        assert not page.is_truncated and [o.key for o in page.objects] == keys[20:]
        page = store.list_objects(bucket, max_keys=25)
        assert not page.is_truncated

    # --- multipart --------------------------------------------------------------------------------

    def test_multipart_upload(self, store: ObjectStore, bucket: str) -> None:
        upload = store.create_multipart_upload(bucket, "big.bin", ObjectMetadata("application/x-big", {"p": "q"}))
        one, two = b"1" * (5 * MiB), b"2" * 1234
        part2 = store.upload_part(bucket, "big.bin", upload.upload_id, 2, io.BytesIO(two))
        part1 = store.upload_part(bucket, "big.bin", upload.upload_id, 1, io.BytesIO(one))
        assert (part1.etag, part1.size) == (_md5(one), len(one))
        listing = store.list_parts(bucket, "big.bin", upload.upload_id)
        assert [(p.part_number, p.size) for p in listing.parts] == [(1, len(one)), (2, len(two))]
        uploads = store.list_multipart_uploads(bucket)
        assert [(u.key, u.upload_id) for u in uploads.uploads] == [("big.bin", upload.upload_id)]
        with raises_s3("NoSuchKey"):
            store.head_object(bucket, "big.bin")  # nothing visible before completion
        info = store.complete_multipart_upload(
            bucket, "big.bin", upload.upload_id, [CompletedPart(1, part1.etag), CompletedPart(2, part2.etag)]
        )
        expected = hashlib.md5(hashlib.md5(one).digest() + hashlib.md5(two).digest()).hexdigest()
        assert info.etag == f'"{expected}-2"'
        head = store.head_object(bucket, "big.bin")
        assert (head.size, head.etag, head.parts_count) == (len(one) + len(two), info.etag, 2)
        assert head.metadata.content_type == "application/x-big" and dict(head.metadata.user) == {"p": "q"}
        assert _get(store, bucket, "big.bin", ByteRange(5 * MiB - 2, 5 * MiB + 1)) == b"1122"
        assert store.list_multipart_uploads(bucket).uploads == []
        with raises_s3("NoSuchUpload", 404):
            store.list_parts(bucket, "big.bin", upload.upload_id)

    def test_multipart_rules(self, store: ObjectStore, bucket: str) -> None:
        upload = store.create_multipart_upload(bucket, "k")
        small = store.upload_part(bucket, "k", upload.upload_id, 1, io.BytesIO(b"tiny"))
        last = store.upload_part(bucket, "k", upload.upload_id, 2, io.BytesIO(b"end"))
        with raises_s3("EntityTooSmall", 400):
            store.complete_multipart_upload(
                bucket, "k", upload.upload_id, [CompletedPart(1, small.etag), CompletedPart(2, last.etag)]
            )
        with raises_s3("InvalidPartOrder", 400):
            store.complete_multipart_upload(
                bucket, "k", upload.upload_id, [CompletedPart(2, last.etag), CompletedPart(1, small.etag)]
            )
        with raises_s3("InvalidPart", 400):
            store.complete_multipart_upload(bucket, "k", upload.upload_id, [CompletedPart(1, '"00ff"')])
        with raises_s3("InvalidPart", 400):
            store.complete_multipart_upload(bucket, "k", upload.upload_id, [CompletedPart(3, last.etag)])
        with raises_s3("InvalidArgument", 400):
            store.upload_part(bucket, "k", upload.upload_id, 10001, io.BytesIO(b"x"))
        # A single small part is a valid upload, and a part may be uploaded again.
        again = store.upload_part(bucket, "k", upload.upload_id, 1, io.BytesIO(b"tiny v2"))
        info = store.complete_multipart_upload(bucket, "k", upload.upload_id, [CompletedPart(1, again.etag)])
        assert info.parts_count == 1 and _get(store, bucket, "k") == b"tiny v2"

    def test_abort_and_unknown_uploads(self, store: ObjectStore, bucket: str) -> None:
        upload = store.create_multipart_upload(bucket, "k")
        store.upload_part(bucket, "k", upload.upload_id, 1, io.BytesIO(b"abc"))
        store.abort_multipart_upload(bucket, "k", upload.upload_id)
        with raises_s3("NoSuchUpload", 404):
            store.abort_multipart_upload(bucket, "k", upload.upload_id)
        with raises_s3("NoSuchUpload", 404):
            store.upload_part(bucket, "k", "not-an-upload", 1, io.BytesIO(b"abc"))
        with raises_s3("NoSuchUpload", 404):
            store.complete_multipart_upload(bucket, "k", "not-an-upload", [CompletedPart(1, '"x"')])
        with raises_s3("NoSuchKey"):
            store.head_object(bucket, "k")

    def test_multipart_pagination(self, store: ObjectStore, bucket: str) -> None:
        upload = store.create_multipart_upload(bucket, "parts")
        for number in range(1, 6):
            store.upload_part(bucket, "parts", upload.upload_id, number, io.BytesIO(b"x"))
        first = store.list_parts(bucket, "parts", upload.upload_id, max_parts=2)
        assert [p.part_number for p in first.parts] == [1, 2] and first.is_truncated
        assert first.next_part_number_marker == 2
        rest = store.list_parts(bucket, "parts", upload.upload_id, part_number_marker=2)
        assert [p.part_number for p in rest.parts] == [3, 4, 5] and not rest.is_truncated
        others = [store.create_multipart_upload(bucket, f"u{n}") for n in range(3)]
        page = store.list_multipart_uploads(bucket, prefix="u", max_uploads=2)
        assert [u.key for u in page.uploads] == ["u0", "u1"] and page.is_truncated
        page = store.list_multipart_uploads(bucket, prefix="u", key_marker="u1")
        assert [u.upload_id for u in page.uploads] == [others[2].upload_id]
