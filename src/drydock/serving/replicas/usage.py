"""CPU time and resident memory of a replica's whole process group, read from ``/proc``.

A replica is a process group (its launcher starts each in a session of its own; under bubblewrap the
model server is a grandchild of the group leader), so its usage is the sum over every process whose
group id is the replica's pid. This is what CloudWatch's per-host CPUUtilization and MemoryUtilization
for transform jobs are computed from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    rss_bytes: int


def group_usage(pgid: int) -> Usage:
    """The summed usage of the processes in group ``pgid`` (zero when none is left)."""
    cpu, rss = 0.0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) != pgid:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / _TICKS
        rss += int(fields[21]) * _PAGE
    return Usage(cpu, rss)
