"""The S3 errors an ObjectStore raises, with the codes, statuses and messages S3 itself uses.

Every implementation raises these (the external store translates its endpoint's answers into them),
so the S3 API and the engine see one vocabulary whichever store is configured.
"""

from __future__ import annotations

from drydock.errors import S3Error

#: S3 rejects single PUTs and parts above 5 GiB (EntityTooLarge).
MAX_PUT_SIZE = 5 * 1024**3
#: Every part but the last must be at least 5 MiB (EntityTooSmall at CompleteMultipartUpload).
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_NUMBER = 10_000


def no_such_bucket(bucket: str) -> S3Error:
    return S3Error("NoSuchBucket", "The specified bucket does not exist", 404, resource=bucket)


def no_such_key(bucket: str, key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404, resource=f"/{bucket}/{key}")


def no_such_upload(upload_id: str) -> S3Error:
    return S3Error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
        "been aborted or completed.",
        404,
        resource=upload_id,
    )


def bucket_not_empty(bucket: str) -> S3Error:
    return S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, resource=bucket)


def bucket_already_owned(bucket: str) -> S3Error:
    return S3Error(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
        resource=bucket,
    )


def invalid_bucket_name(bucket: str, why: str) -> S3Error:
    return S3Error("InvalidBucketName", f"The specified bucket is not valid: {why}", 400, resource=bucket)


def invalid_argument(message: str) -> S3Error:
    return S3Error("InvalidArgument", message, 400)


def key_too_long(key: str) -> S3Error:
    return S3Error("KeyTooLongError", "Your key is too long (at most 1024 bytes of UTF-8).", 400, resource=key)


def invalid_range(size: int) -> S3Error:
    return S3Error("InvalidRange", f"The requested range is not satisfiable (object size {size} bytes).", 416)


def invalid_part(part_number: int) -> S3Error:
    return S3Error(
        "InvalidPart",
        f"Part {part_number} could not be found, or its ETag does not match the one uploaded.",
        400,
    )


def invalid_part_order() -> S3Error:
    return S3Error("InvalidPartOrder", "The list of parts was not in ascending order.", 400)


def entity_too_small(part_number: int) -> S3Error:
    return S3Error(
        "EntityTooSmall",
        f"Part {part_number} is smaller than the minimum allowed object size of 5 MiB.",
        400,
    )


def entity_too_large(size: int) -> S3Error:
    return S3Error("EntityTooLarge", f"{size} bytes exceed the maximum allowed object size of {MAX_PUT_SIZE}.", 400)


def precondition_failed(condition: str) -> S3Error:
    return S3Error(
        "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, condition
    )


def malformed_xml(message: str = "The XML you provided was not well-formed.") -> S3Error:
    return S3Error("MalformedXML", message, 400)


def bad_digest(message: str) -> S3Error:
    return S3Error("BadDigest", message, 400)
