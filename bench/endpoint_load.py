"""Reading the shared machine for bench/endpoint.py: its load, and whose CPU time a measurement used.

The benchmark machine is shared with other people's test suites; a measurement taken while they run
says as much about them as about Drydock. :class:`Quiet` holds measurements back while the 1-minute
load average is high (within a time budget), and the CPU counters split a measurement's CPU time into
the server's processes (:func:`process_tree_cpu`: Drydock's gateway with its model-server replicas,
or MLflow with its uvicorn), the client processes (they report their own), and everything else on
the machine (:func:`busy_cpu_seconds` minus both): the last is the contention the numbers suffered.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

POLL_S = 10.0


class Quiet:
    """Waits for a quieter machine: up to ``first`` seconds before the run, ``each`` before each step."""

    def __init__(self, threshold: float, first: float, each: float) -> None:
        self.threshold, self.first, self.each = threshold, first, each
        self.waited = 0.0

    def wait(self, first: bool = False) -> float:
        """Sleep while the 1-minute load is above the threshold; the load when it stopped waiting."""
        started = time.monotonic()
        limit = self.first if first else self.each
        while os.getloadavg()[0] > self.threshold and time.monotonic() - started < limit:
            print(
                f"  load {os.getloadavg()[0]:.2f} > {self.threshold:g}: waiting for a quieter machine", file=sys.stderr
            )
            time.sleep(POLL_S)
        self.waited += time.monotonic() - started
        return os.getloadavg()[0]


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a live process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and every live process descended from it."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            total += stats[pid][1]
        pending += children.get(pid, [])
    return total
