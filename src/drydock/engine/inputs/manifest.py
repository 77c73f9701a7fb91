"""SageMaker's two manifest formats: ``ManifestFile`` and ``AugmentedManifestFile``.

A manifest file is one JSON array, ``[{"prefix": "s3://b/p/"}, "rel1", "rel2", ...]``: each object is
the prefix followed by the relative string, and lands in File mode at that relative path.

An augmented manifest is JSON lines; ``AttributeNames`` picks, per line and in that order, the values
the algorithm receives. An attribute whose name ends in ``-ref`` (``source-ref``) holds an S3 URI and
delivers that object's bytes; any other attribute delivers its value (a string as is, anything else
as JSON text). Each attribute value is one record, so with ``RecordWrapperType`` ``RecordIO`` each is
framed separately (SageMaker docs, "Provide Dataset Metadata to Training Jobs with an Augmented
Manifest File").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from drydock.engine.inputs.location import Location
from drydock.engine.inputs.source import Readable, SourceObject
from drydock.errors import ValidationError
from drydock.objects.port import ObjectStore

#: Manifests are read whole; SageMaker caps manifest files far below this.
MAX_MANIFEST_BYTES = 1024 * 1024 * 1024


def read_manifest(store: ObjectStore, location: Location) -> list[SourceObject]:
    """The objects a ``ManifestFile`` lists, in its order."""
    try:
        document = json.loads(_read_all(SourceObject(location, "").open(store)))
    except ValueError as exc:
        raise ValidationError(f"Manifest file {location} is not valid JSON: {exc}") from exc
    if (
        not isinstance(document, list)
        or not document
        or not isinstance(document[0], dict)
        or not isinstance(document[0].get("prefix"), str)
    ):
        raise ValidationError(f'Manifest file {location} must be a JSON array starting with {{"prefix": "s3://..."}}')
    prefix = document[0]["prefix"]
    objects: list[SourceObject] = []
    for entry in document[1:]:
        if not isinstance(entry, str) or not entry:
            raise ValidationError(f"Manifest file {location} holds a non-string entry {entry!r}")
        # The object's URI is the prefix and the entry concatenated, exactly as written.
        objects.append(SourceObject(Location.parse(prefix + entry), entry))
    return objects


@dataclass(frozen=True)
class AugmentedRecord:
    """One attribute value of one manifest line: inline ``data``, or the object at ``ref``."""

    data: bytes = b""
    ref: Location | None = None


def read_augmented_lines(store: ObjectStore, location: Location) -> list[str]:
    """The non-blank lines of an augmented manifest (each a JSON object)."""
    text = _read_all(SourceObject(location, "").open(store)).decode("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def augmented_records(line: str, attribute_names: Sequence[str], where: str) -> list[AugmentedRecord]:
    """The records one augmented-manifest line yields, in ``AttributeNames`` order.

    A line lacking one of the attributes fails the job, as SageMaker does ("attribute ... not found").
    """
    try:
        document = json.loads(line)
    except ValueError as exc:
        raise ValidationError(f"Augmented manifest {where} has a line that is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ValidationError(f"Augmented manifest {where} has a line that is not a JSON object")
    records: list[AugmentedRecord] = []
    for name in attribute_names:
        if name not in document:
            raise ValidationError(f"Attribute {name!r} not found in a line of augmented manifest {where}")
        value = document[name]
        if name.endswith("-ref"):
            if not isinstance(value, str):
                raise ValidationError(f"Attribute {name!r} of augmented manifest {where} must be an S3 URI")
            records.append(AugmentedRecord(ref=Location.parse(value)))
        elif isinstance(value, str):
            records.append(AugmentedRecord(data=value.encode("utf-8")))
        else:
            records.append(AugmentedRecord(data=json.dumps(value, separators=(",", ":")).encode("utf-8")))
    return records


def _read_all(reader: Readable) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        # A remote reader may return short reads: read until the end.
        while chunk := reader.read(1024 * 1024):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_MANIFEST_BYTES:
                raise ValidationError("Manifest file is larger than 1 GiB")
    finally:
        reader.close()
    return b"".join(chunks)
