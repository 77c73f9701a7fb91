"""The loop every reconciler runs: a daemon thread that calls one pass every poll interval, at once
when woken (a Create/Stop call wakes it so nothing waits for the next poll), and never dies of a
failed pass (the failure is logged and the next pass tries again)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class ReconcileLoop:
    def __init__(self, name: str, step: Callable[[], None], poll_seconds: float, log: logging.Logger) -> None:
        self.name = name
        self.step = step
        self.poll_seconds = poll_seconds
        self.log = log
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the pass under way (waiting up to ``timeout`` seconds for it)."""
        self.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                self.log.exception("%s pass failed", self.name)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
