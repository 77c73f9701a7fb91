"""Client processes for the benchmarks: N forked processes, each looping one call for a fixed time.

Clients are separate processes, not threads: a boto3 call spends about a millisecond of client-side
Python, so 16 threads in one interpreter would be capped by that interpreter's GIL at one core and a
benchmark would measure its client. Each process builds its own client after the fork (connections
and SDK clients are not shared), warms it up, then all start together at a barrier so that the
caller can read the server's CPU counters around exactly the measured window.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Calls each client makes before the window opens: connections, lazy imports, the server's caches.
WARMUP_CALLS = 20
#: A client stops early after this many failed calls, so a broken server ends the run quickly.
MAX_ERRORS = 50
BARRIER_TIMEOUT_S = 300.0

Call = Callable[[], Any]


@dataclass
class ClientResult:
    latencies: list[float]  # seconds, one per successful call
    errors: int
    started: float  # time.monotonic() when the window opened for this client
    ended: float
    cpu_seconds: float  # the client process's own CPU time during its window


def _loop(make: Callable[[], Call], duration: float, barrier: Any, results: Any) -> None:
    call = make()
    for _ in range(WARMUP_CALLS):
        call()
    barrier.wait(BARRIER_TIMEOUT_S)
    latencies: list[float] = []
    errors = 0
    cpu_at_start = time.process_time()
    started = now = time.monotonic()
    while now < started + duration and errors < MAX_ERRORS:
        before = time.perf_counter()
        try:
            call()
        except Exception as error:
            errors += 1
            if errors == 1:
                print(f"  first client error: {error!r}"[:300], file=sys.stderr)
        else:
            latencies.append(time.perf_counter() - before)
        now = time.monotonic()
    results.put(ClientResult(latencies, errors, started, now, time.process_time() - cpu_at_start))


class ClientProcesses:
    """Forks ``clients`` processes that each call ``make()`` to build their client and warm it up;
    :meth:`start` opens the measured window (read the server's counters right after it) and
    :meth:`collect` waits for its end and returns one result per client."""

    def __init__(self, make: Callable[[], Call], clients: int, duration: float) -> None:
        context = mp.get_context("fork")  # fork: ``make`` may be a closure, nothing is pickled
        self.duration = duration
        self.barrier = context.Barrier(clients + 1)
        self.results = context.Queue()
        self.workers = [
            context.Process(target=_loop, args=(make, duration, self.barrier, self.results)) for _ in range(clients)
        ]
        for worker in self.workers:
            worker.start()

    def start(self) -> None:
        self.barrier.wait(BARRIER_TIMEOUT_S)

    def collect(self) -> list[ClientResult]:
        collected: list[ClientResult] = [
            self.results.get(timeout=self.duration + BARRIER_TIMEOUT_S) for _ in self.workers
        ]
        for worker in self.workers:
            worker.join(30)
        return collected

    @staticmethod
    def percentile(results: list[ClientResult], q: float) -> float:
        """The ``q`` quantile of every client's latencies, in milliseconds (nearest rank)."""
        ordered = sorted(t for r in results for t in r.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    @staticmethod
    def window(results: list[ClientResult]) -> float:
        """Seconds from the first client's start to the last client's end."""
        return max(r.ended for r in results) - min(r.started for r in results)
