"""Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, and
the bucket configuration reads clients probe (versioning)."""

from __future__ import annotations

import hashlib
from typing import Any
from xml.sax.saxutils import escape

from drydock.errors import S3Error
from drydock.services.s3.api import Reply, S3Call, s3_api
from drydock.wire.http import HttpResponse
from drydock.wire.rest_xml import S3_NAMESPACE

#: S3's legacy name for eu-west-1 in LocationConstraint.
_LEGACY_REGIONS = {"EU": "eu-west-1", "": "us-east-1"}


def owner(call: S3Call) -> dict[str, str]:
    """The canonical-user shape S3 returns: a 64-hex ID stable for the account."""
    return {"ID": hashlib.sha256(call.account_id.encode()).hexdigest(), "DisplayName": "drydock"}


@s3_api.operation("ListBuckets")
async def list_buckets(call: S3Call) -> Reply:
    found = await call.run(call.store.list_buckets)
    prefix = str(call.params.get("Prefix") or "")
    after = str(call.params.get("ContinuationToken") or "")
    limit = int(call.params.get("MaxBuckets") or 10_000)
    if not 1 <= limit <= 10_000:
        raise S3Error("InvalidArgument", "max-buckets must be between 1 and 10000", 400)
    chosen = [b for b in found if b.name.startswith(prefix) and b.name > after]
    page = chosen[:limit]
    output: dict[str, Any] = {
        "Buckets": [{"Name": b.name, "CreationDate": b.creation_date, "BucketRegion": b.region} for b in page],
        "Owner": owner(call),
        "Prefix": prefix or None,
    }
    if len(chosen) > limit:
        output["ContinuationToken"] = page[-1].name
    return Reply(output)


@s3_api.operation("CreateBucket")
async def create_bucket(call: S3Call) -> Reply:
    configuration = call.params.get("CreateBucketConfiguration") or {}
    constraint = str(configuration.get("LocationConstraint") or "")
    region = _LEGACY_REGIONS.get(constraint, constraint)
    try:
        await call.run(call.store.create_bucket, call.bucket, region)
    except S3Error as error:
        if error.code != "BucketAlreadyOwnedByYou":
            raise
        existing = await call.run(call.store.head_bucket, call.bucket)
        # In us-east-1 S3 answers 200 to re-creating a bucket you own; elsewhere 409 (CreateBucket).
        if existing.region != "us-east-1" or region != "us-east-1":
            raise
    return Reply({"Location": f"/{call.bucket}"})


@s3_api.operation("HeadBucket")
async def head_bucket(call: S3Call) -> Reply:
    info = await call.run(call.store.head_bucket, call.bucket)
    return Reply({"BucketRegion": info.region, "AccessPointAlias": False})


@s3_api.operation("DeleteBucket")
async def delete_bucket(call: S3Call) -> Reply:
    await call.run(call.store.delete_bucket, call.bucket)
    return Reply()


@s3_api.operation("GetBucketLocation")
async def get_bucket_location(call: S3Call) -> HttpResponse:
    info = await call.run(call.store.head_bucket, call.bucket)
    # The document's root element *is* the value (botocore reads root.text); us-east-1 is empty.
    value = "" if info.region == "us-east-1" else escape(info.region)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<LocationConstraint xmlns="{S3_NAMESPACE}">{value}</LocationConstraint>'
    )
    return HttpResponse(status=200, headers=[("Content-Type", "application/xml")], body=body.encode())


@s3_api.operation("GetBucketVersioning")
async def get_bucket_versioning(call: S3Call) -> Reply:
    await call.run(call.store.head_bucket, call.bucket)
    return Reply()  # never versioned: S3 answers an empty VersioningConfiguration
