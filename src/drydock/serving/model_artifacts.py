"""A model's artifacts on local disk, extracted once and shared by every replica that serves it.

SageMaker downloads ``ModelDataUrl`` (a ``model.tar.gz``) and extracts it into ``/opt/ml/model`` of each
container, or copies an uncompressed ``ModelDataSource.S3DataSource`` (``CompressionType: None``, an
``S3Prefix`` or a single ``S3Object``). Here the extraction happens once per distinct object version
(keyed by URI and ETag) into ``<home>/models/``; each replica's tree gets a hard-linked copy, which
costs no space and keeps one replica from changing another's files. A model without data (a
container that brings its own) gets an empty directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drydock.engine.inputs.location import Location, safe_relative
from drydock.errors import S3Error, ValidationError
from drydock.objects.port import ObjectStore

CHUNK = 1024 * 1024


class ModelDataError(Exception):
    """The model's data cannot be fetched or unpacked; the message becomes the FailureReason."""


class ModelArtifacts:
    def __init__(self, objects: ObjectStore, root: Path) -> None:
        self.objects = objects
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def prepare(self, container: Mapping[str, Any]) -> Path:
        """The extracted model directory for ``container`` (a ContainerDefinition). Thread-safe;
        concurrent callers for the same model wait for one extraction. Raises :class:`ModelDataError`."""
        source = container.get("ModelDataSource", {}).get("S3DataSource")
        url = container.get("ModelDataUrl")
        try:
            if source is not None:
                return self._prepare_source(source)
            if url:
                return self._prepare_archive(Location.parse(url))
        except ValidationError as exc:
            raise ModelDataError(exc.message) from None
        empty = self.root / "empty"
        empty.mkdir(parents=True, exist_ok=True)
        return empty

    def _prepare_archive(self, location: Location) -> Path:
        info = self._head(location)
        target = self.root / _digest(str(location), info)
        with self._lock:
            if target.is_dir():
                return target
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".extract-"))
            try:
                archive = staging / "model.tar.gz"
                self._download(location, archive)
                unpacked = staging / "model"
                unpacked.mkdir()
                try:
                    with tarfile.open(archive) as tar:
                        # The "data" filter refuses absolute paths, ".." and device files, as a
                        # container's extraction into /opt/ml/model must not escape it.
                        tar.extractall(unpacked, filter="data")
                except (tarfile.TarError, OSError, EOFError) as exc:
                    raise ModelDataError(
                        f'Failed to extract model data archive from URL "{location}". Please ensure that the '
                        f"object located at the URL is a valid tar.gz archive: {exc}"
                    ) from None
                os.rename(unpacked, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return target

    def _prepare_source(self, source: Mapping[str, Any]) -> Path:
        location = Location.parse(source["S3Uri"])
        if source.get("CompressionType", "None") == "Gzip":
            return self._prepare_archive(location)
        listing = self._keys(location) if source.get("S3DataType") == "S3Prefix" else [location.key]
        if not listing:
            raise ModelDataError(f"No model data found under {location}")
        infos = [self._head(Location("s3", bucket=location.bucket, key=key)) for key in listing]
        target = self.root / _digest(str(location), *infos)
        with self._lock:
            if target.is_dir():
                return target
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".copy-"))
            try:
                base = location.key if source.get("S3DataType") == "S3Prefix" else location.key.rpartition("/")[0]
                for key in listing:
                    relative = key[len(base) :].lstrip("/") if base else key
                    path = staging / safe_relative(relative, "model data key")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._download(Location("s3", bucket=location.bucket, key=key), path)
                os.rename(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return target

    def _keys(self, location: Location) -> list[str]:
        keys: list[str] = []
        after = ""
        while True:
            page = self.objects.list_objects(location.bucket, prefix=location.key, start_after=after)
            keys += [entry.key for entry in page.objects if not entry.key.endswith("/")]
            if not page.is_truncated or page.next_start_after is None:
                return keys
            after = page.next_start_after

    def _head(self, location: Location) -> str:
        try:
            return self.objects.head_object(location.bucket, location.key).etag
        except S3Error as exc:  # NoSuchKey / NoSuchBucket
            raise ModelDataError(f"Could not find model data at {location}: {exc.message}") from None

    def _download(self, location: Location, path: Path) -> None:
        local = self.objects.local_path(location.bucket, location.key)
        if local is not None:
            os.link(local, path)  # the embedded store's blobs are immutable: share, don't copy
            return
        with self.objects.get_object(location.bucket, location.key) as reader, path.open("wb") as out:
            while chunk := reader.read(CHUNK):
                out.write(chunk)


def link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of ``source`` made of hard links (a plain copy across filesystems)."""
    shutil.copytree(source, target, copy_function=_link_or_copy, dirs_exist_ok=True)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _digest(*parts: object) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:32]
