"""Response serialisation through botocore output shapes."""

from __future__ import annotations

import datetime as dt

import pytest

from drydock.errors import InternalFailure
from drydock.wire.json_shapes import ShapeSerializer
from drydock.wire.service_models import operation_model


def describe_model_shape() -> object:
    return operation_model("sagemaker", "DescribeModel").output_shape


def test_timestamps_become_epoch_seconds_and_none_is_dropped() -> None:
    created = dt.datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC)
    out = ShapeSerializer().serialize(
        describe_model_shape(),
        {"ModelName": "m", "ModelArn": "arn", "CreationTime": created, "ExecutionRoleArn": None},
    )
    assert out == {"ModelName": "m", "ModelArn": "arn", "CreationTime": created.timestamp()}


def test_lenient_mode_drops_unmodelled_members() -> None:
    out = ShapeSerializer().serialize(
        describe_model_shape(),
        {"ModelName": "m", "ModelArn": "a", "CreationTime": dt.datetime.now(dt.UTC), "Internal": 1},
    )
    assert "Internal" not in out


def test_strict_mode_rejects_unmodelled_and_missing_members() -> None:
    strict = ShapeSerializer(strict=True)
    with pytest.raises(InternalFailure, match="Internal"):
        strict.serialize(
            describe_model_shape(),
            {"ModelName": "m", "ModelArn": "a", "CreationTime": dt.datetime.now(dt.UTC), "Internal": 1},
        )
    with pytest.raises(InternalFailure, match="ModelArn"):
        strict.serialize(describe_model_shape(), {"ModelName": "m", "CreationTime": dt.datetime.now(dt.UTC)})


def test_blobs_are_base64() -> None:
    shape = operation_model("sagemaker-runtime", "InvokeEndpoint").output_shape
    out = ShapeSerializer().serialize(shape, {"Body": b"\x00\x01"})
    assert out["Body"] == "AAE="
