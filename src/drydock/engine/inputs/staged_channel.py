"""Staging one channel for one instance: File/FastFile files, or a Pipe-mode writer.

File mode (SageMaker downloads everything before the program starts): each selected object lands
at ``/opt/ml/input/data/<channel>/<relative path>``. On the embedded store the object's immutable
blob is hard-linked, so nothing is copied; the link is made read-only so a program that writes to
its input cannot change the stored object. External stores, cross-device trees and filesystems
without hard links get a streamed copy. ``CompressionType`` is ignored in File mode: the docs say it
is "used only in Pipe input mode", so gzipped objects arrive gzipped (the algorithm decompresses).

FastFile mode streams objects on first read in SageMaker. On the embedded store a hard link already
is zero-copy and immediate. Without FUSE there is no honest lazy file for an external store, and
letting the program start while a background copy is still writing its files would hand it partial
data, so there FastFile behaves exactly like File (everything is copied first).
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drydock.engine.contract import InstanceTree
from drydock.engine.inputs.channel import ChannelSpec
from drydock.engine.inputs.location import safe_relative
from drydock.engine.inputs.manifest import read_augmented_lines, read_manifest
from drydock.engine.inputs.pipe import PipeWriter
from drydock.engine.inputs.pipe_stream import PipeStream
from drydock.engine.inputs.source import SourceObject, list_prefix
from drydock.errors import ValidationError
from drydock.objects.port import ObjectStore

log = logging.getLogger(__name__)

#: Errors of os.link that mean "cannot link here", not "the source is gone".
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


@dataclass
class StagedChannel:
    """What staging did for one channel: files placed (File/FastFile) or a running Pipe writer.

    The owner must call :meth:`close` when the job's program ends, to stop a Pipe writer.
    """

    spec: ChannelSpec
    files: list[Path] = field(default_factory=list)
    #: How many of ``files`` are hard links to stored bytes (no copy made).
    linked: int = 0
    writer: PipeWriter | None = None

    @property
    def error(self) -> BaseException | None:
        """Why a Pipe writer ended early (an unreadable object, bad gzip data), if it did."""
        return self.writer.error if self.writer else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.stop()


def stage_channel(
    store: ObjectStore,
    channel: Mapping[str, Any] | ChannelSpec,
    tree: InstanceTree,
    index: int = 0,
    count: int = 1,
    default_mode: str = "File",
) -> StagedChannel:
    """Stage ``channel`` (an ``InputDataConfig`` entry) for instance ``index`` of ``count``.

    Raises ``ValidationError`` for a channel that cannot be staged (unsupported source, empty prefix,
    bad manifest, a key that is not a file path) and the store's ``S3Error`` (``NoSuchBucket``, ...).
    """
    spec = channel if isinstance(channel, ChannelSpec) else ChannelSpec.from_api(channel, default_mode)
    tree.input_data.mkdir(parents=True, exist_ok=True)
    if spec.input_mode == "Pipe":
        if spec.data_type == "AugmentedManifestFile":
            stream = PipeStream(store, spec, index, count, lines=read_augmented_lines(store, spec.uri))
        else:
            stream = PipeStream(store, spec, index, count, objects=_objects(store, spec))
        writer = PipeWriter(lambda epoch: tree.pipe(spec.name, epoch), stream, spec.name)
        return StagedChannel(spec, writer=writer.start())
    staged = StagedChannel(spec)
    root = tree.channel(spec.name)
    root.mkdir(parents=True, exist_ok=True)
    for source in spec.select(_objects(store, spec), index, count):
        target = root / safe_relative(source.relative, str(source.location))
        staged.linked += _place(store, source, target)
        staged.files.append(target)
    log.info("channel=%s instance=%d staged %d files (%d linked)", spec.name, index, len(staged.files), staged.linked)
    return staged


def _objects(store: ObjectStore, spec: ChannelSpec) -> list[SourceObject]:
    if spec.data_type == "ManifestFile":
        return read_manifest(store, spec.uri)
    return list_prefix(store, spec.uri)


def _place(store: ObjectStore, source: SourceObject, target: Path) -> int:
    """Put ``source``'s bytes at ``target``; 1 when hard-linked, 0 when copied."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        # S3 allows both "a" and "a/b" as keys; a file system cannot hold both.
        clash = target.parent.name
        raise ValidationError(f"Cannot stage {source.location}: {clash!r} is both a file and a folder") from exc
    if target.is_dir():
        raise ValidationError(f"Cannot stage {source.location}: {target.name!r} is both a file and a folder")
    target.unlink(missing_ok=True)  # a manifest may list an object twice: the last one wins
    local = source.local_file(store)
    if local is not None:
        try:
            os.link(local, target)
        except FileNotFoundError:
            pass  # overwritten since it was listed: stream the current version instead
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
        else:
            if source.location.scheme == "s3":
                os.chmod(target, 0o444)  # protects the stored blob (same inode) from the program
            return 1
    source.copy_to(store, target)
    return 0
