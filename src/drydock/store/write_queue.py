"""A queue that one writer thread drains in batches: how the store takes writes off hot paths.

Callers on the event loop or on request threads only enqueue; the writer hands everything queued
since its last pass to one ``write`` call, so a burst of callers costs one transaction. ``flush``
waits until every item queued before it has been written (or has failed and been logged), which
is what lets readers see every write made before them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("drydock.store")


class WriteQueue(Generic[T]):
    """Thread-safe. ``write`` runs on the writer thread only; an exception it raises is logged and
    the batch dropped (the queue goes on). The writer starts on the first ``put``."""

    def __init__(self, write: Callable[[list[T]], None], *, name: str, batch: int) -> None:
        self._write = write
        self._name = name
        self._batch = batch
        self._queue: queue.Queue[tuple[T] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def put(self, item: T) -> None:
        self._ensure_writer()
        self._queue.put((item,))

    def flush(self) -> None:
        """Block until every item put so far is written."""
        if self._writer is not None:
            self._queue.join()

    def close(self) -> None:
        """Write what is queued and stop the writer; a later ``put`` starts it again."""
        with self._start_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(None)
            writer.join()

    def _ensure_writer(self) -> None:
        if self._writer is None:
            with self._start_lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._loop, name=self._name, daemon=True)
                    self._writer.start()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [entry[0] for entry in batch if entry is not None]
            try:
                if items:
                    self._write(items)
            except Exception:
                log.exception("%s could not write %d queued items", self._name, len(items))
            finally:
                for _ in batch:
                    self._queue.task_done()
            if None in batch:
                return
