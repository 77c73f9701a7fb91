"""What a Pipe-mode channel sends at each epoch: its objects' bytes, decompressed and framed.

Per the ``Channel`` docs: ``CompressionType`` ``Gzip`` is honoured in Pipe mode only — the bytes
reach the algorithm decompressed. ``RecordWrapperType`` ``RecordIO`` wraps each S3 object (each
attribute value of an augmented manifest) in one RecordIO record; otherwise objects are sent back
to back, unchanged.

RecordIO framing (MXNet's, reference §8.4): magic ``0xCED7230A`` and the payload length as uint32
little-endian, the payload, then zero padding to a 4-byte boundary. The length's top 3 bits are
MXNet's continuation flag, so one record holds under 512 MiB.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO

from drydock.engine.inputs.channel import ChannelSpec
from drydock.engine.inputs.manifest import AugmentedRecord, augmented_records
from drydock.engine.inputs.source import Readable, SourceObject
from drydock.formats.recordio import header as recordio_header
from drydock.formats.recordio import padding
from drydock.objects.model import ObjectReader
from drydock.objects.port import ObjectStore

CHUNK = 1024 * 1024
#: A decompressed object is measured (for its RecordIO length) in memory up to this size, then on disk.
SPOOL_BYTES = 8 * 1024 * 1024


def recordio_padding(length: int) -> bytes:
    return b"\x00" * padding(length)


class PipeStream:
    """``stream(epoch)`` yields the byte chunks instance ``index`` of ``count`` reads at ``epoch``.

    ``objects`` are the channel's objects (S3Prefix, ManifestFile); ``lines`` an augmented manifest's
    lines. Objects are re-read from the store at every epoch, so nothing is held between epochs.
    """

    def __init__(
        self,
        store: ObjectStore,
        spec: ChannelSpec,
        index: int,
        count: int,
        objects: list[SourceObject] | None = None,
        lines: list[str] | None = None,
    ) -> None:
        self.store = store
        self.spec = spec
        self.index = index
        self.count = count
        self.objects = objects or []
        self.lines = lines

    def __call__(self, epoch: int) -> Iterator[bytes]:
        if self.lines is not None:
            where = str(self.spec.uri)
            for line in self.spec.select(self.lines, self.index, self.count, epoch):
                for record in augmented_records(line, self.spec.attribute_names, where):
                    yield from self._record(record)
            return
        for source in self.spec.select(self.objects, self.index, self.count, epoch):
            yield from self._object(source)

    def _record(self, record: AugmentedRecord) -> Iterator[bytes]:
        if record.ref is None:
            yield from self._framed(record.data)
        else:
            yield from self._object(SourceObject(record.ref, "", None))

    def _framed(self, data: bytes) -> Iterator[bytes]:
        if self.spec.record_wrapper == "RecordIO":
            yield recordio_header(len(data)) + data + recordio_padding(len(data))
        else:
            yield data

    def _object(self, source: SourceObject) -> Iterator[bytes]:
        reader = source.open(self.store)
        try:
            if self.spec.compression == "Gzip":
                with gzip.GzipFile(fileobj=reader, mode="rb") as unzipped:  # type: ignore[call-overload]
                    yield from self._payload(unzipped, None)
            else:
                yield from self._payload(reader, _opened_size(reader))
        finally:
            reader.close()

    def _payload(self, reader: Readable, size: int | None) -> Iterator[bytes]:
        if self.spec.record_wrapper != "RecordIO":
            yield from _chunks(reader)
            return
        if size is None:
            # The length goes before the bytes: measure a decompressed stream by spooling it first.
            with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
                shutil.copyfileobj(_AsFile(reader), spool, CHUNK)
                size = spool.tell()
                spool.seek(0)
                yield recordio_header(size)
                yield from _chunks(spool)
        else:
            yield recordio_header(size)
            yield from _chunks(reader)
        yield recordio_padding(size)


def _opened_size(reader: Readable) -> int | None:
    """The length of what was opened (not of what was listed: the key may have been overwritten)."""
    if isinstance(reader, ObjectReader):
        return reader.length
    if isinstance(reader, io.BufferedReader):
        return os.fstat(reader.fileno()).st_size
    return None


def _chunks(reader: Readable | IO[bytes]) -> Iterator[bytes]:
    while chunk := reader.read(CHUNK):
        yield chunk


class _AsFile:
    """Just ``read`` for :func:`shutil.copyfileobj`."""

    def __init__(self, reader: Readable) -> None:
        self.read = reader.read
