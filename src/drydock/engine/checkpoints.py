"""Checkpoints: ``CheckpointConfig.S3Uri`` restored into the local path before start, synced while the
program runs and once more after it ends.

SageMaker (docs, "Checkpoints in Amazon SageMaker AI"): before the program starts, everything under
``S3Uri`` is copied into ``LocalPath`` (default ``/opt/ml/checkpoints``); while it runs, and when it
ends, new and changed files there are copied back to ``S3Uri`` with their relative paths. That is
what lets a Spot job that was interrupted resume where it was. Files deleted locally are *not*
deleted from S3 (SageMaker's sync only adds and replaces).

Restored files are real copies, never hard links: the program writes its checkpoints in place, and
must not change stored bytes. "Changed" is judged against the store itself (size and MD5 ETag), so
a fresh :class:`CheckpointSync` after a server restart uploads only what differs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from drydock.engine.inputs.location import Location, safe_relative
from drydock.engine.inputs.source import SourceObject, iter_keys
from drydock.engine.outputs import put_file
from drydock.objects.port import ObjectStore

log = logging.getLogger(__name__)

#: Files the sync never uploads: SageMaker's uploader skips a program's temporary files (a container
#: writes a checkpoint as ``<name>.sagemaker-ignore`` and renames it when complete) and its own
#: in-progress markers.
SKIPPED = (".sagemaker-ignore", ".sagemaker-uploading")
#: How often a running job's checkpoints are synced to S3 (SageMaker: "continuously").
SYNC_INTERVAL_SECONDS = 5.0


class CheckpointSync:
    """Two-way copy between ``s3uri`` (taken as a folder) and ``local_dir``. Not thread-safe:
    :class:`PeriodicSync` serialises its own calls."""

    def __init__(self, store: ObjectStore, s3uri: str, local_dir: Path) -> None:
        self.store = store
        self.remote = Location.parse(s3uri if s3uri.endswith("/") else s3uri + "/")
        self.local_dir = local_dir
        #: (size, mtime_ns) -> MD5 hex of local files already hashed, so an idle sync reads nothing.
        self._digests: dict[tuple[str, int, int], str] = {}

    def restore(self) -> list[Path]:
        """Copy every object under the URI into the local directory; the files written."""
        self.local_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for relative, source in self._remote_objects().items():
            target = self.local_dir / safe_relative(relative, str(source.location))
            target.parent.mkdir(parents=True, exist_ok=True)
            source.copy_to(self.store, target)
            written.append(target)
        log.info("checkpoints restored from %s: %d files", self.remote, len(written))
        return written

    def sync(self) -> list[str]:
        """Upload local files that are new or differ from the stored ones; their relative paths."""
        if not self.local_dir.is_dir():
            return []
        remote = self._remote_digests()
        uploaded = []
        for path in sorted(p for p in self.local_dir.rglob("*") if p.is_file() and not p.name.endswith(SKIPPED)):
            relative = path.relative_to(self.local_dir).as_posix()
            try:
                if remote.get(relative) == self._digest(path, relative):
                    continue
                put_file(self.store, path, self.remote.child(relative))
            except FileNotFoundError:
                continue  # the program deleted it (an old checkpoint) while this sync ran
            uploaded.append(relative)
        if uploaded:
            log.info("checkpoints synced to %s: %d files", self.remote, len(uploaded))
        return uploaded

    def periodically(self, interval_s: float) -> PeriodicSync:
        """Start syncing every ``interval_s`` seconds in a thread; stop it (with a final sync) later."""
        return PeriodicSync(self, interval_s).start()

    def _remote_objects(self) -> dict[str, SourceObject]:
        if self.remote.scheme == "file":
            root = self.remote.local
            files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
            return {p.relative_to(root).as_posix(): SourceObject(Location("file", path=p), "") for p in files}
        prefix = self.remote.key
        return {
            key[len(prefix) :]: SourceObject(Location("s3", self.remote.bucket, key), "")
            for key, _ in iter_keys(self.store, self.remote.bucket, prefix)
            if not key.endswith("/")
        }

    def _remote_digests(self) -> dict[str, str]:
        if self.remote.scheme == "file":
            return {rel: self._digest(src.location.local, "") for rel, src in self._remote_objects().items()}
        prefix = self.remote.key
        digests = {}
        start_after = ""
        while True:
            page = self.store.list_objects(self.remote.bucket, prefix=prefix, start_after=start_after)
            for info in page.objects:
                # A multipart ETag ("...-N") is no MD5: such objects always count as changed.
                digests[info.key[len(prefix) :]] = info.etag.strip('"')
            if not page.is_truncated or page.next_start_after is None:
                return digests
            start_after = page.next_start_after

    def _digest(self, path: Path, relative: str) -> str:
        stat = path.stat()
        key = (relative or str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._digests:
            md5 = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as file:
                while chunk := file.read(1024 * 1024):
                    md5.update(chunk)
            self._digests[key] = md5.hexdigest()
        return self._digests[key]


class PeriodicSync:
    """A thread that runs :meth:`CheckpointSync.sync` every ``interval_s`` until :meth:`stop`."""

    def __init__(self, checkpoints: CheckpointSync, interval_s: float) -> None:
        self.checkpoints = checkpoints
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="checkpoint-sync", daemon=True)

    def start(self) -> PeriodicSync:
        self._thread.start()
        return self

    def stop(self, final_sync: bool = True) -> list[str]:
        """Stop the thread; with ``final_sync``, sync once more and return what that uploaded."""
        self._stop.set()
        self._thread.join()
        if not final_sync:
            return []
        with self._lock:
            return self.checkpoints.sync()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                with self._lock:
                    self.checkpoints.sync()
            except Exception:  # a failed round is retried at the next one; the final sync reports
                log.exception("periodic checkpoint sync to %s failed", self.checkpoints.remote)
