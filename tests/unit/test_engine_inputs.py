"""Channel specs, URIs and selection: the rules staging applies before any byte moves."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from drydock.engine.inputs import ChannelSpec, Location
from drydock.engine.inputs.location import safe_relative
from drydock.engine.inputs.pipe_stream import recordio_header, recordio_padding
from drydock.errors import ValidationError


def _channel(**overrides: object) -> dict[str, object]:
    s3 = {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/data/train", "S3DataDistributionType": "FullyReplicated"}
    channel: dict[str, object] = {"ChannelName": "train", "DataSource": {"S3DataSource": s3}}
    for key, value in overrides.items():
        if key in ("S3DataType", "S3Uri", "S3DataDistributionType", "AttributeNames"):
            s3[key] = value  # type: ignore[assignment]
        else:
            channel[key] = value
    return channel


def test_s3_and_file_uris_parse() -> None:
    assert Location.parse("s3://bucket/a/b/") == Location("s3", "bucket", "a/b/")
    assert Location.parse("s3://bucket") == Location("s3", "bucket", "")
    assert Location.parse("file:///tmp/x").path == Path("/tmp/x").resolve()
    assert str(Location.parse("s3://b/out").child("job/output")) == "s3://b/out/job/output"
    assert str(Location.parse("s3://b/out/").child("job")) == "s3://b/out/job"
    for bad in ("http://x/y", "bucket/key", "s3://"):
        with pytest.raises(ValidationError):
            Location.parse(bad)


def test_relative_paths_never_escape_the_channel() -> None:
    assert safe_relative("a//b/./c.csv", "k") == Path("a/b/c.csv")
    for bad in ("../etc/passwd", "a/../../b", "", "/"):
        with pytest.raises(ValidationError):
            safe_relative(bad, "k")


def test_channel_reads_the_api_shape_and_inherits_the_job_mode() -> None:
    spec = ChannelSpec.from_api(_channel(ContentType="text/csv", CompressionType="Gzip"), default_mode="Pipe")
    assert (spec.name, spec.input_mode, spec.compression, spec.content_type) == ("train", "Pipe", "Gzip", "text/csv")
    assert ChannelSpec.from_api(_channel(InputMode="FastFile"), default_mode="Pipe").input_mode == "FastFile"
    assert spec.config().document()["CompressionType"] == "Gzip"


@pytest.mark.parametrize(
    "overrides",
    [
        {"S3DataType": "Nope"},
        {"InputMode": "Stream"},
        {"S3DataDistributionType": "Random"},
        {"CompressionType": "Zip"},
        {"RecordWrapperType": "Tar"},
        {"S3DataType": "AugmentedManifestFile", "InputMode": "Pipe"},  # no AttributeNames
        {"S3DataType": "AugmentedManifestFile", "AttributeNames": ["source-ref"], "InputMode": "File"},
    ],
)
def test_invalid_channels_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ChannelSpec.from_api(_channel(**overrides))


def test_file_system_sources_are_refused_with_a_reason() -> None:
    channel = {"ChannelName": "train", "DataSource": {"FileSystemDataSource": {"FileSystemId": "fs-1"}}}
    with pytest.raises(ValidationError, match="FileSystemDataSource"):
        ChannelSpec.from_api(channel)


def test_sharding_splits_disjoint_complete_shards() -> None:
    spec = ChannelSpec.from_api(_channel(S3DataDistributionType="ShardedByS3Key"))
    items = list(range(10))
    shards = [spec.select(items, i, 3) for i in range(3)]
    assert [len(s) for s in shards] == [4, 3, 3]
    assert sorted(x for shard in shards for x in shard) == items
    replicated = ChannelSpec.from_api(_channel())
    assert all(replicated.select(items, i, 3) == items for i in range(3))


def test_shuffle_is_seeded_and_changes_per_epoch() -> None:
    spec = ChannelSpec.from_api(_channel(ShuffleConfig={"Seed": 7}))
    items = list(range(50))
    first = spec.select(items, 0, 1, epoch=0)
    assert first == spec.select(items, 0, 1, epoch=0) and sorted(first) == items and first != items
    assert spec.select(items, 0, 1, epoch=1) != first


def test_recordio_framing_matches_the_sdk() -> None:
    # sagemaker.amazon.common: struct.pack("I", 0xCED7230A), struct.pack("I", len), payload, pad to 4.
    assert recordio_header(5) == b"\x0a\x23\xd7\xce" + struct.pack("<I", 5)
    assert recordio_padding(5) == b"\x00\x00\x00" and recordio_padding(8) == b""
    with pytest.raises(ValidationError):
        recordio_header(1 << 29)
