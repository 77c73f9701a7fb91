"""Pipe mode's writer: one thread per channel feeding FIFOs ``<channel>_0``, ``<channel>_1``, ...

SageMaker's contract (Pipe input mode docs): the algorithm opens ``/opt/ml/input/data/<channel>_0``
and reads the channel's data to EOF; for another pass it opens ``<channel>_1``, and so on, for as many
epochs as it likes. Here epoch *e+1*'s FIFO is created *before* epoch *e*'s write end is closed, so a
reader that sees EOF can open the next epoch at once without racing the writer.

The writer never blocks for good: it opens the FIFO with ``O_NONBLOCK`` (``ENXIO`` until a reader
opens it) and waits for writability with ``select``, checking its stop event between tries; a reader
that closes early (``EPIPE``) ends that epoch. The thread also ends when its directory is removed
(the job's tree cleaned up), so a caller that forgets :meth:`stop` leaks nothing for long.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

#: How often a waiting writer looks at its stop event (latency of :meth:`PipeWriter.stop`).
POLL_SECONDS = 0.05


class _Stopped(Exception):
    """The writer was asked to stop, or its FIFO vanished."""


class PipeWriter:
    """Streams ``payload(epoch)``'s chunks into ``path(epoch)``, one FIFO per epoch, until stopped."""

    def __init__(self, path: Callable[[int], Path], payload: Callable[[int], Iterable[bytes]], name: str) -> None:
        self._path = path
        self._payload = payload
        self._stop = threading.Event()
        #: The exception that ended the writer early (e.g. an object that could not be read), if any.
        self.error: BaseException | None = None
        #: Epochs fully written (a reader that closed early still counts its epoch as done).
        self.epochs_done = 0
        self._thread = threading.Thread(target=self._run, name=f"pipe-{name}", daemon=True)

    def start(self) -> PipeWriter:
        _make_fifo(self._path(0))
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (it notices within :data:`POLL_SECONDS`)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        epoch = 0
        try:
            while True:
                fd = self._open_for_reader(self._path(epoch))
                try:
                    self._write_epoch(fd, epoch)
                    # Only after a whole epoch: a failed one must not invite the reader to another.
                    _make_fifo(self._path(epoch + 1))
                finally:
                    os.close(fd)
                self.epochs_done += 1
                epoch += 1
        except _Stopped:
            pass
        except BaseException as exc:  # kept for the job's FailureReason; the reader sees EOF
            log.warning("pipe writer %s failed at epoch %d: %s", self._thread.name, epoch, exc)
            self.error = exc

    def _open_for_reader(self, path: Path) -> int:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except FileNotFoundError:
                raise _Stopped from None
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader has opened the FIFO yet
                    raise
            self._stop.wait(POLL_SECONDS)

    def _write_epoch(self, fd: int, epoch: int) -> None:
        try:
            for chunk in self._payload(epoch):
                view = memoryview(chunk)
                while view:
                    if self._stop.is_set():
                        raise _Stopped
                    _, writable, _ = select.select([], [fd], [], POLL_SECONDS)
                    if not writable:
                        continue
                    try:
                        view = view[os.write(fd, view) :]
                    except BlockingIOError:
                        continue
        except BrokenPipeError:
            log.info("pipe %s: the reader closed epoch %d early", self._thread.name, epoch)


def _make_fifo(path: Path) -> None:
    try:
        os.mkfifo(path, 0o600)
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise _Stopped from None  # the tree is gone: the job was cleaned up
