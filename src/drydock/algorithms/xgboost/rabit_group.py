"""The Rabit communication group that makes a multi-instance XGBoost job train one model.

SageMaker's XGBoost container (``distributed.py``, ``rabit_run``) trains collaboratively when the
job has more than one host: the first host (``algo-1``) runs the Rabit tracker, every host joins it
as a worker, each builds its DMatrix from its own channel data (``ShardedByS3Key`` gives disjoint
shards) and xgboost allreduces the histograms and evaluation metrics, so all workers grow the same
trees. Only the master logs the rounds and only its ``/opt/ml/model`` is uploaded.

Here the tracker listens on the job's ``MASTER_PORT`` (a free port the engine picks per job, see
``drydock.engine.cluster``) at ``MASTER_ADDR``. The ranks are the hosts' order in ``SM_HOSTS``: the
tracker sorts workers by their task id, which is that rank. A peer that never arrives fails the job
after :data:`DEFAULT_TIMEOUT` seconds instead of hanging until MaxRuntimeInSeconds.
"""

from __future__ import annotations

import json
import logging
import math
import socket
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from drydock.errors import ValidationError

log = logging.getLogger("drydock.algorithms.xgboost")

#: Seconds the workers wait for each other to form the group, and for any one collective operation.
DEFAULT_TIMEOUT = 120
#: Lets a deployment (or a test) shorten or lengthen :data:`DEFAULT_TIMEOUT`.
TIMEOUT_VARIABLE = "DRYDOCK_XGBOOST_PEER_TIMEOUT"


class PeerError(ValidationError):
    """The job's distributed environment is incomplete, so the instances cannot find each other."""


class GroupError(RuntimeError):
    """The hosts did not form the Rabit group in time: a peer never arrived or could not be reached."""


@dataclass(frozen=True)
class Peers:
    """This instance's place in a multi-instance job."""

    hosts: list[str]
    rank: int
    master_addr: str
    master_port: int
    timeout: int

    @property
    def is_master(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Peers | None:
        """The job's peers, or None for a single-host job (which trains alone, with no tracker)."""
        try:
            hosts = json.loads(env.get("SM_HOSTS", "[]"))
        except ValueError:
            hosts = []
        if not isinstance(hosts, list) or len(hosts) < 2:
            return None
        current = env.get("SM_CURRENT_HOST", "")
        if current not in hosts:
            raise PeerError(f"SM_CURRENT_HOST {current!r} is not one of the job's hosts {hosts}")
        try:
            port = int(env["MASTER_PORT"])
            timeout = int(env.get(TIMEOUT_VARIABLE) or DEFAULT_TIMEOUT)
        except (KeyError, ValueError) as error:
            raise PeerError(f"a multi-instance job needs MASTER_PORT and a numeric timeout: {error}") from error
        master_addr = env.get("MASTER_ADDR") or str(hosts[0])
        return cls([str(h) for h in hosts], hosts.index(current), master_addr, port, timeout)


@contextmanager
def joined(peers: Peers) -> Iterator[None]:
    """Inside: this process is a worker of the job's Rabit group (the master also runs the tracker).

    Raises ``xgboost.core.XGBoostError`` when the group cannot form within ``peers.timeout``.
    """
    from xgboost import collective
    from xgboost.core import XGBoostError
    from xgboost.tracker import RabitTracker

    address = socket.gethostbyname(peers.master_addr)
    tracker = None
    if peers.is_master:
        tracker = RabitTracker(
            n_workers=len(peers.hosts), host_ip=address, port=peers.master_port, sortby="task", timeout=peers.timeout
        )
        tracker.start()
        log.info("Rabit tracker for %d hosts listening on %s:%d", len(peers.hosts), address, peers.master_port)
    args: dict[str, str | int] = {
        "dmlc_communicator": "rabit",
        "dmlc_tracker_uri": address,
        "dmlc_tracker_port": peers.master_port,
        "dmlc_task_id": str(peers.rank),
        "dmlc_retry": retries(peers.timeout),
        "dmlc_timeout": peers.timeout,
    }
    try:
        with ExitStack() as stack:
            try:
                stack.enter_context(collective.CommunicatorContext(**args))
            except XGBoostError as error:
                raise GroupError(
                    f"host {peers.hosts[peers.rank]} (rank {peers.rank}) could not form the Rabit group of "
                    f"{len(peers.hosts)} hosts through the tracker at {address}:{peers.master_port} within "
                    f"{peers.timeout}s: {_first_reason(error)}"
                ) from error
            log.info(
                "Host %s joined the Rabit group as rank %d of %d",
                peers.hosts[peers.rank],
                collective.get_rank(),
                collective.get_world_size(),
            )
            yield
        if tracker is not None:
            tracker.wait_for(peers.timeout)
    finally:
        if tracker is not None:
            # Freeing a tracker that timed out re-raises its bootstrap error; the worker's says it.
            try:
                tracker.free()
            except XGBoostError as error:
                log.debug("Rabit tracker ended with: %s", error)


def retries(timeout: int) -> int:
    """Connection attempts that keep a worker trying for about ``timeout`` seconds.

    A worker may start before the master's tracker listens. xgboost waits 2, 4, 6 … seconds between
    attempts, so ``n`` attempts span ``n * (n - 1)`` seconds.
    """
    return max(2, int((1 + math.sqrt(1 + 4 * timeout)) / 2))


def _first_reason(error: Exception) -> str:
    # xgboost's message is a stack of "- [file:line|time]: reason" lines and a native backtrace.
    reasons = [line.split("]:", 1)[-1].strip() for line in str(error).splitlines() if line.startswith("- [")]
    return "; ".join(reasons) or str(error).splitlines()[0]
