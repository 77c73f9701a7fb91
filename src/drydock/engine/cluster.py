"""The facts a multi-instance job's instances share: who is master, on which port, and each one's rank.

SageMaker starts one container per instance, named ``algo-1`` … ``algo-N`` and reachable by those
names. Its PyTorch toolkit (sagemaker-pytorch-training-toolkit, ``_set_distributed_environment``)
exports ``MASTER_ADDR`` (the first host) and ``MASTER_PORT`` (fixed ``7777`` there) before it runs
the user's script, and its ``torch_distributed`` launcher hands ``torchrun`` the node rank and node
count; the sagemaker-training toolkit also exports ``SM_MASTER_ADDR``/``SM_MASTER_PORT``,
``SM_NUM_NODES`` and ``SM_CURRENT_NODE_RANK``. Drydock runs one process per instance, so it sets
what ``torchrun`` would have set for that single process too (``WORLD_SIZE``, ``RANK``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``NODE_RANK``): ``init_process_group(init_method="env://")``
works with no launcher.

Here every instance is a local process on the shared host network, so the master port cannot be
the fixed 7777 (two jobs would collide): each job gets a free one. ``algo-N`` names resolve only
inside the bubblewrap sandbox (its own ``/etc/hosts``); without it ``MASTER_ADDR`` is ``127.0.0.1``.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Cluster:
    hosts: list[str]
    master_port: int
    #: Whether ``algo-N`` resolves inside the instances (only in the sandbox, via its /etc/hosts).
    names_resolve: bool

    @classmethod
    def plan(cls, hosts: list[str], *, names_resolve: bool) -> Cluster:
        """A cluster for ``hosts`` with a master port that is free now."""
        return cls(list(hosts), free_port(), names_resolve)

    @property
    def master_addr(self) -> str:
        return self.hosts[0] if self.names_resolve else LOOPBACK

    def rank(self, host: str) -> int:
        return self.hosts.index(host)

    def environment(self, host: str) -> dict[str, str]:
        """The distributed-training variables of ``host``'s single process."""
        rank = str(self.rank(host))
        size = str(len(self.hosts))
        port = str(self.master_port)
        return {
            "MASTER_ADDR": self.master_addr,
            "MASTER_PORT": port,
            "WORLD_SIZE": size,
            "RANK": rank,
            "NODE_RANK": rank,
            "GROUP_RANK": rank,
            "LOCAL_RANK": "0",
            "LOCAL_WORLD_SIZE": "1",
            "SM_MASTER_ADDR": self.master_addr,
            "SM_MASTER_PORT": port,
            "SM_NUM_NODES": size,
            "SM_CURRENT_NODE_RANK": rank,
            # Every instance shares the loopback interface here; gloo binds where the name resolves.
            "GLOO_SOCKET_IFNAME": "lo",
        }


def hosts_file(hosts: list[str]) -> str:
    """``/etc/hosts`` for a sandboxed instance: every ``algo-N`` is this machine's loopback."""
    lines = [f"{LOOPBACK}\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{LOOPBACK}\t{host}" for host in hosts]
    return "\n".join(lines) + "\n"


def hosts_of(env: dict[str, str]) -> list[str]:
    """The job's hosts from ``SM_HOSTS`` (a JSON list), or none when it is missing or malformed."""
    try:
        hosts = json.loads(env.get("SM_HOSTS", "[]"))
    except ValueError:
        return []
    return [h for h in hosts if isinstance(h, str)] if isinstance(hosts, list) else []


def free_port() -> int:
    """A TCP port free on the loopback right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
