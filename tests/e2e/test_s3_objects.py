"""S3 buckets and objects through real boto3 clients against a live server."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drydock.testing.object_store_contract import AWKWARD_KEYS


def error_of(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle(s3: Any) -> None:
    name = f"life-{uuid.uuid4().hex[:12]}"
    assert s3.create_bucket(Bucket=name)["Location"] == f"/{name}"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.create_bucket(Bucket=name)  # us-east-1 answers 200 to re-creating your own bucket, as AWS does
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert error_of(s3.delete_bucket, Bucket=name) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    # HEAD errors have no body: botocore reports the status, which is what the SageMaker SDK matches.
    assert error_of(s3.head_bucket, Bucket=name) == ("404", 404)
    assert error_of(s3.list_objects_v2, Bucket=name) == ("NoSuchBucket", 404)


def test_bucket_in_another_region(s3: Any) -> None:
    name = f"eu-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert error_of(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}) == (
        "BucketAlreadyOwnedByYou",
        409,
    )
    assert error_of(s3.create_bucket, Bucket="Bad_Name") == ("InvalidBucketName", 400)


def test_put_get_head_round_trip(s3: Any, bucket: str) -> None:
    body = b"col1,col2\n1,2\n"
    put = s3.put_object(
        Bucket=bucket,
        Key="data/train.csv",
        Body=body,
        ContentType="text/csv",
        Metadata={"Source": "e2e", "run": "42"},
        CacheControl="no-cache",
        ContentDisposition='attachment; filename="train.csv"',
        ContentEncoding="identity",
        ContentLanguage="en",
        ServerSideEncryption="aws:kms",  # the SageMaker SDK sends it; accepted
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="data/train.csv")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/csv" and got["ContentLength"] == len(body)
    assert got["Metadata"] == {"source": "e2e", "run": "42"}
    assert (got["CacheControl"], got["ContentEncoding"], got["ContentLanguage"]) == ("no-cache", "identity", "en")
    assert got["ContentDisposition"] == 'attachment; filename="train.csv"'
    assert got["ETag"] == put["ETag"] and got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="data/train.csv")
    assert head["ContentLength"] == len(body) and head["Metadata"] == got["Metadata"]
    assert abs(head["LastModified"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    assert error_of(s3.get_object, Bucket=bucket, Key="absent") == ("NoSuchKey", 404)
    assert error_of(s3.head_object, Bucket=bucket, Key="absent") == ("404", 404)


def test_ranges(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 10-19/1024" and got["Body"].read() == body[10:20]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")["Body"].read() == body[1000:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-24")["Body"].read() == body[-24:]
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=0-99")
    assert head["ContentLength"] == 100 and head["ContentRange"] == "bytes 0-99/1024"
    assert error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=5000-") == ("InvalidRange", 416)


def test_conditional_get(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v"
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"nope"') == ("PreconditionFailed", 412)
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag) == ("304", 304)
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified) == ("304", 304)
    earlier = modified - dt.timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=earlier)["Body"].read() == b"v"
    assert error_of(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=earlier) == ("PreconditionFailed", 412)


def test_conditional_put(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    assert error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*") == (
        "PreconditionFailed",
        412,
    )
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"


def test_delete_and_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.delete_object(Bucket=bucket, Key="a")  # deleting what is gone succeeds, as in S3
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["b", "zz"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src key+1", Body=b"payload", ContentType="text/plain", Metadata={"a": "1"})
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src key+1"})
    assert copied["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="src key+1")["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource=f"{bucket}/src key+1",  # botocore URL-encodes a string source
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
    )
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "application/json"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"payload"
    assert error_of(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "dst"}) == (
        "InvalidRequest",
        400,
    )
    assert error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "absent"}) == (
        "NoSuchKey",
        404,
    )


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_every_key_s3_allows(s3: Any, bucket: str, key: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode())
    # botocore asks for encoding-type=url and decodes, so listed keys come back exactly.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
    s3.copy_object(Bucket=bucket, Key=key + ".copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=key + ".copy")["Body"].read() == key.encode()


def test_listing_v2_with_delimiter_and_pagination(s3: Any, bucket: str) -> None:
    keys = ["a", "a/b", "a/c/d", "b/1", "b/2", "c", "photos/2024/x.jpg", "z z", "ü"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    page = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in page["Contents"]] == ["a", "c", "z z", "ü"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/", "photos/"]
    assert page["KeyCount"] == 7 and not page["IsTruncated"]
    sub = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in sub["Contents"]] == ["a/b"] and sub["CommonPrefixes"] == [{"Prefix": "a/c/"}]
    seen: list[str] = []
    for part in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}
    ):
        assert part["KeyCount"] <= 2
        seen += [o["Key"] for o in part.get("Contents", [])] + [p["Prefix"] for p in part.get("CommonPrefixes", [])]
    assert sorted(seen) == sorted(["a", "c", "z z", "ü", "a/", "b/", "photos/"])
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="b/1")
    assert [o["Key"] for o in after["Contents"]][:2] == ["b/2", "c"]
    assert s3.list_objects_v2(Bucket=bucket, MaxKeys=0)["KeyCount"] == 0
    assert error_of(s3.list_objects_v2, Bucket=bucket, ContinuationToken="!!!") == ("InvalidArgument", 400)


def test_listing_v1_markers(s3: Any, bucket: str) -> None:
    for n in range(7):
        s3.put_object(Bucket=bucket, Key=f"dir{n % 2}/k{n}", Body=b"1")
        s3.put_object(Bucket=bucket, Key=f"top{n}", Body=b"1")
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4}))
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert len(pages) == 4 and len(keys) == 14 and keys == sorted(keys)
    first = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=3)
    assert first["IsTruncated"] and first["NextMarker"] == "top0"
    rest = s3.list_objects(Bucket=bucket, Delimiter="/", Marker=first["NextMarker"])
    assert [o["Key"] for o in rest["Contents"]] == [f"top{n}" for n in range(1, 7)]
    assert first["CommonPrefixes"] == [{"Prefix": "dir0/"}, {"Prefix": "dir1/"}]
    assert first["Contents"][0]["Owner"]["ID"]


def test_bucket_owner_check(s3: Any, bucket: str) -> None:
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner="000000000000")
    assert error_of(s3.head_bucket, Bucket=bucket, ExpectedBucketOwner="111111111111") == ("403", 403)


def test_unimplemented_operation_is_a_clear_501(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=bucket)
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert "GetBucketPolicy" in caught.value.response["Error"]["Message"]
