"""A model server's memory settings: pyarrow's system pool and glibc's fixed mmap threshold."""

from __future__ import annotations

import os
import subprocess
import sys

PROGRAM = """
from drydock.core.memory_release import return_memory_promptly
return_memory_promptly()
import pyarrow
print(pyarrow.default_memory_pool().backend_name)
"""


def test_pyarrow_uses_the_system_pool_unless_told_otherwise() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "system"
    chosen = {**env, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}
    run = subprocess.run([sys.executable, "-c", PROGRAM], env=chosen, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "mimalloc"  # a setting of the container's own is kept
