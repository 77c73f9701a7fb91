"""Data staging against the real embedded object store: channels in, model and checkpoints out."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import stat
import struct
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drydock.engine.checkpoints import CheckpointSync
from drydock.engine.contract import InstanceTree
from drydock.engine.inputs import stage_channel
from drydock.engine.outputs import upload_outputs
from drydock.errors import ValidationError
from drydock.objects.embedded import EmbeddedObjectStore
from drydock.store.database import Database
from drydock.store.migrate import upgrade

BUCKET = "data"
DEADLINE = 10.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedObjectStore]:
    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(database)
    objects = EmbeddedObjectStore(tmp_path / "objects", database)
    objects.create_bucket(BUCKET)
    yield objects
    objects.close()
    database.dispose()


def _tree(tmp_path: Path, host: str = "algo-1") -> InstanceTree:
    tree = InstanceTree(tmp_path / "jobs" / host)
    tree.create()
    return tree


def _put(store: EmbeddedObjectStore, key: str, data: bytes) -> None:
    store.put_object(BUCKET, key, io.BytesIO(data))


def _channel(uri: str, **fields: object) -> dict[str, object]:
    s3: dict[str, object] = {"S3DataType": fields.pop("S3DataType", "S3Prefix"), "S3Uri": uri}
    for name in ("S3DataDistributionType", "AttributeNames"):
        if name in fields:
            s3[name] = fields.pop(name)
    return {"ChannelName": fields.pop("ChannelName", "train"), "DataSource": {"S3DataSource": s3}, **fields}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _read_pipe(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with path.open("rb") as fifo:
            into.append(fifo.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _records(stream: bytes) -> list[bytes]:
    records, at = [], 0
    while at < len(stream):
        magic, length = struct.unpack_from("<II", stream, at)
        assert magic == 0xCED7230A
        records.append(stream[at + 8 : at + 8 + length])
        at += 8 + length + (-length % 4)
    return records


# --- File mode ------------------------------------------------------------------------------------


def test_prefix_stages_nested_keys_as_hard_links(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "sets/train.csv", b"1,2\n")
    _put(store, "sets/train/part/a.csv", b"3,4\n")
    _put(store, "sets/train/folder/", b"")  # a console "folder" placeholder
    _put(store, "sets/test.csv", b"no")
    tree = _tree(tmp_path)
    staged = stage_channel(store, _channel("s3://data/sets/train"), tree)
    # "sets/train" matches both keys: the folder's contents land under the channel, the name match keeps its name.
    assert _files(tree.channel("train")) == {"train.csv": b"1,2\n", "part/a.csv": b"3,4\n"}
    assert staged.linked == 2
    staged_file = tree.channel("train") / "train.csv"
    blob = store.local_path(BUCKET, "sets/train.csv")
    assert blob is not None and staged_file.stat().st_ino == blob.stat().st_ino
    assert not staged_file.stat().st_mode & stat.S_IWUSR  # the program cannot alter the stored object


def test_a_folder_uri_stages_its_contents(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "ds/x/1.csv", b"1")
    _put(store, "ds/x/sub/2.csv", b"2")
    tree = _tree(tmp_path)
    stage_channel(store, _channel("s3://data/ds/x/", InputMode="FastFile"), tree)
    assert _files(tree.channel("train")) == {"1.csv": b"1", "sub/2.csv": b"2"}


def test_an_sdk_upload_prefix_without_slash_stages_the_files_at_the_channel_root(
    store: EmbeddedObjectStore, tmp_path: Path
) -> None:
    # Session.upload_data("data", key_prefix="sdk/train") returns "s3://bucket/sdk/train" (no "/"); the
    # SDK's scripts then read $SM_CHANNEL_TRAIN/iris.csv. Found by tests/sdk (it was train/iris.csv).
    _put(store, "sdk/train/iris.csv", b"1,2\n")
    _put(store, "sdk/train/more/part.csv", b"3,4\n")
    _put(store, "sdk/train-extra/other.csv", b"5,6\n")
    tree = _tree(tmp_path)
    stage_channel(store, _channel("s3://data/sdk/train"), tree)
    assert _files(tree.channel("train")) == {
        "iris.csv": b"1,2\n",
        "more/part.csv": b"3,4\n",
        "train-extra/other.csv": b"5,6\n",
    }


def test_a_uri_naming_one_object_stages_its_base_name(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "one/train.csv", b"1")
    tree = _tree(tmp_path)
    stage_channel(store, _channel("s3://data/one/train.csv"), tree)
    assert _files(tree.channel("train")) == {"train.csv": b"1"}


def test_an_empty_prefix_fails_with_the_uri(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="s3://data/missing/"):
        stage_channel(store, _channel("s3://data/missing/"), _tree(tmp_path))


def test_a_key_escaping_the_channel_is_refused(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "esc/../../evil", b"x")
    tree = _tree(tmp_path)
    with pytest.raises(ValidationError, match="not a file path"):
        stage_channel(store, _channel("s3://data/esc/"), tree)
    assert not (tree.root / "evil").exists() and not (tree.input_data / "evil").exists()


def test_file_mode_leaves_gzip_objects_compressed(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    packed = gzip.compress(b"a,b\n")
    _put(store, "gz/train.csv.gz", packed)
    tree = _tree(tmp_path)
    stage_channel(store, _channel("s3://data/gz/", CompressionType="Gzip"), tree)
    assert (tree.channel("train") / "train.csv.gz").read_bytes() == packed


def test_manifest_stages_exactly_the_listed_objects(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "m/p/one.csv", b"1")
    _put(store, "m/p/deep/two.csv", b"2")
    _put(store, "m/p/unlisted.csv", b"3")
    _put(store, "m/manifest.json", json.dumps([{"prefix": "s3://data/m/p/"}, "one.csv", "deep/two.csv"]).encode())
    tree = _tree(tmp_path)
    stage_channel(store, _channel("s3://data/m/manifest.json", S3DataType="ManifestFile"), tree)
    assert _files(tree.channel("train")) == {"one.csv": b"1", "deep/two.csv": b"2"}


def test_sharding_by_key_across_three_instances(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    keys = [f"shard/part-{i:02d}.csv" for i in range(10)]
    for key in keys:
        _put(store, key, key.encode())
    shards = []
    for index in range(3):
        tree = _tree(tmp_path, f"algo-{index + 1}")
        channel = _channel("s3://data/shard/", S3DataDistributionType="ShardedByS3Key")
        stage_channel(store, channel, tree, index=index, count=3)
        shards.append(set(_files(tree.channel("train"))))
    assert [len(s) for s in shards] == [4, 3, 3]
    assert not (shards[0] & shards[1]) and not (shards[1] & shards[2]) and not (shards[0] & shards[2])
    assert set().union(*shards) == {k.removeprefix("shard/") for k in keys}


def test_local_file_uris_are_staged(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    local = tmp_path / "local-data"
    (local / "nested").mkdir(parents=True)
    (local / "a.csv").write_text("a")
    (local / "nested" / "b.csv").write_text("b")
    tree = _tree(tmp_path)
    stage_channel(store, _channel(f"file://{local}"), tree)
    assert _files(tree.channel("train")) == {"a.csv": b"a", "nested/b.csv": b"b"}


# --- Pipe mode ------------------------------------------------------------------------------------


def test_pipe_mode_streams_two_epochs_in_recordio(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "pipe/a.bin", gzip.compress(b"alpha"))
    _put(store, "pipe/b.bin", gzip.compress(b"bravo-decompressed"))
    tree = _tree(tmp_path)
    channel = _channel("s3://data/pipe/", InputMode="Pipe", RecordWrapperType="RecordIO", CompressionType="Gzip")
    staged = stage_channel(store, channel, tree)
    try:
        epochs: list[bytes] = []
        for epoch in range(2):
            reader = _read_pipe(tree.pipe("train", epoch), epochs)
            reader.join(DEADLINE)
            assert not reader.is_alive(), f"epoch {epoch} never reached EOF"
        # Gzip is decompressed in Pipe mode; each object is one RecordIO record; every epoch is whole.
        assert [_records(e) for e in epochs] == [[b"alpha", b"bravo-decompressed"]] * 2
        assert tree.pipe("train", 2).exists()  # the next epoch waits for a reader
    finally:
        staged.close()
    assert staged.writer is not None and not staged.writer.running and staged.error is None


def test_pipe_writer_stops_without_a_reader(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "idle/a.csv", b"x" * 100)
    staged = stage_channel(store, _channel("s3://data/idle/", InputMode="Pipe"), _tree(tmp_path))
    staged.close()
    assert staged.writer is not None and not staged.writer.running


def test_pipe_writer_stops_while_a_reader_stalls(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "big/blob.bin", os.urandom(1024 * 1024))  # far more than a FIFO's buffer
    tree = _tree(tmp_path)
    staged = stage_channel(store, _channel("s3://data/big/", InputMode="Pipe"), tree)
    with tree.pipe("train", 0).open("rb") as fifo:
        assert len(fifo.read(1000)) == 1000  # then stop reading, as a stuck program would
        staged.close()
        assert staged.writer is not None and not staged.writer.running


def test_pipe_writer_ends_when_the_tree_is_removed(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "gone/a.csv", b"x")
    tree = _tree(tmp_path)
    staged = stage_channel(store, _channel("s3://data/gone/", InputMode="Pipe"), tree)
    shutil.rmtree(tree.root)  # the job's tree cleaned up without anyone calling close()
    deadline = time.monotonic() + DEADLINE
    while staged.writer is not None and staged.writer.running and time.monotonic() < deadline:
        time.sleep(0.01)  # polling with a deadline, not synchronising
    assert staged.writer is not None and not staged.writer.running


def test_augmented_manifest_in_pipe_mode(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "img/1.jpg", b"JPEG-ONE")
    _put(store, "img/2.jpg", b"JPEG-TWO")
    lines = [{"source-ref": "s3://data/img/1.jpg", "class": 3}, {"source-ref": "s3://data/img/2.jpg", "class": "dog"}]
    _put(store, "img/train.manifest", "\n".join(json.dumps(line) for line in lines).encode())
    channel = _channel(
        "s3://data/img/train.manifest",
        S3DataType="AugmentedManifestFile",
        AttributeNames=["source-ref", "class"],
        InputMode="Pipe",
        RecordWrapperType="RecordIO",
    )
    tree = _tree(tmp_path)
    staged = stage_channel(store, channel, tree)
    try:
        got: list[bytes] = []
        _read_pipe(tree.pipe("train", 0), got).join(DEADLINE)
        assert got and _records(got[0]) == [b"JPEG-ONE", b"3", b"JPEG-TWO", b"dog"]
    finally:
        staged.close()


# --- outputs and checkpoints ----------------------------------------------------------------------


def _job(tmp_path: Path, **output: object) -> tuple[InstanceTree, dict[str, object]]:
    tree = _tree(tmp_path)
    (tree.model / "xgboost-model").write_bytes(b"MODEL")
    (tree.model / "code").mkdir()
    (tree.model / "code" / "inference.py").write_text("print(1)")
    spec: dict[str, object] = {
        "TrainingJobName": "job-1",
        "OutputDataConfig": {"S3OutputPath": "s3://data/out", **output},
    }
    return tree, spec


def _archive(store: EmbeddedObjectStore, key: str) -> tarfile.TarFile:
    with store.get_object(BUCKET, key) as reader:
        return tarfile.open(fileobj=io.BytesIO(reader.read()), mode="r:gz")


def test_model_tar_gz_round_trip(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    tree, spec = _job(tmp_path)
    (tree.output_data / "report.txt").write_text("ok")
    assert upload_outputs(store, spec, tree) == "s3://data/out/job-1/output/model.tar.gz"
    with _archive(store, "out/job-1/output/model.tar.gz") as archive:
        # Files at the archive root, as SageMaker's model.tar.gz (what hosting untars into /opt/ml/model).
        assert sorted(m.name for m in archive.getmembers() if m.isfile()) == ["code/inference.py", "xgboost-model"]
        model = archive.extractfile("xgboost-model")
        assert model is not None and model.read() == b"MODEL"
    with _archive(store, "out/job-1/output/output.tar.gz") as archive:
        assert archive.getnames() == ["report.txt"]


def test_uncompressed_model_output(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    tree, spec = _job(tmp_path, CompressionType="NONE")
    assert upload_outputs(store, spec, tree) == "s3://data/out/job-1/output/model/"
    keys = [o.key for o in store.list_objects(BUCKET, prefix="out/job-1/").objects]
    assert keys == ["out/job-1/output/model/code/inference.py", "out/job-1/output/model/xgboost-model"]


def test_checkpoints_restore_then_sync_only_changes(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    _put(store, "ckpt/run/epoch-1.pt", b"one")
    _put(store, "ckpt/run/sub/state.json", b"{}")
    local = tmp_path / "checkpoints"
    checkpoints = CheckpointSync(store, "s3://data/ckpt/run", local)
    checkpoints.restore()
    assert _files(local) == {"epoch-1.pt": b"one", "sub/state.json": b"{}"}
    assert (local / "epoch-1.pt").stat().st_nlink == 1  # a real copy: the program may overwrite it
    assert checkpoints.sync() == []
    (local / "sub" / "state.json").write_bytes(b'{"epoch": 2}')
    (local / "epoch-2.pt").write_bytes(b"two")
    # A fresh syncer (as after a server restart) compares with the store itself.
    assert CheckpointSync(store, "s3://data/ckpt/run/", local).sync() == ["epoch-2.pt", "sub/state.json"]
    with store.get_object(BUCKET, "ckpt/run/sub/state.json") as reader:
        assert reader.read() == b'{"epoch": 2}'
    resumed = tmp_path / "resumed"
    CheckpointSync(store, "s3://data/ckpt/run", resumed).restore()
    assert _files(resumed) == _files(local)


def test_periodic_checkpoint_sync_uploads_at_stop(store: EmbeddedObjectStore, tmp_path: Path) -> None:
    local = tmp_path / "ck"
    local.mkdir()
    periodic = CheckpointSync(store, "s3://data/periodic", local).periodically(3600)
    (local / "last.pt").write_bytes(os.urandom(64))
    (local / "next.pt.sagemaker-ignore").write_bytes(b"half-written")  # SageMaker's uploader skips these
    assert periodic.stop() == ["last.pt"]
    assert store.head_object(BUCKET, "periodic/last.pt").size == 64
