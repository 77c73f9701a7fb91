"""A throwaway PostgreSQL cluster on a free loopback port, for the store contract suite and e2e tests.

The cluster lives in a fresh temporary directory, listens only on 127.0.0.1 (its Unix socket sits in
that directory too, so nothing under ``/var/run/postgresql`` is needed), trusts local connections and
runs with durability off: it is test data, and fsync would only slow the suite down. :meth:`stop`
shuts it down and removes the directory.

``initdb`` and ``postgres`` refuse to run as root, and tests and CI do run as root: in that case both
run as the ``postgres`` system account that Debian's package creates (``subprocess``'s ``user=``
switches to it in the child just before ``exec``), in a temporary directory that account owns.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import psycopg

from drydock.testing.ports import free_port

#: Where Debian's ``postgresql-NN`` packages put their server binaries.
DEBIAN_ROOT = Path("/usr/lib/postgresql")
#: The account that runs the cluster when we are root (Debian's package creates it).
SYSTEM_ACCOUNT = "postgres"
SUPERUSER = "postgres"

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PR_SET_PDEATHSIG = 1


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries, or the account to run them as, are missing on this machine."""


def find_bin_dir() -> Path | None:
    """The newest installed server's ``bin`` directory, or ``None`` when PostgreSQL is absent."""
    candidates = [p.parent for p in DEBIAN_ROOT.glob("*/bin/initdb") if (p.parent / "postgres").exists()]
    if candidates:
        return max(candidates, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "postgres").exists():
        return Path(initdb).parent
    return None


class PostgresCluster:
    """One private cluster. Not thread-safe to start/stop; the databases it serves are."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
                "install Debian's 'postgresql' package, e.g. with scripts/system-deps.sh"
            )
        self.bin_dir = found
        self.port = 0
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.server_version = 0
        self._account: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._account = pwd.getpwnam(SYSTEM_ACCOUNT)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, PostgreSQL must run as the '{SYSTEM_ACCOUNT}' system account, "
                    "which does not exist; install Debian's 'postgresql' package"
                ) from None

    # --- lifecycle --------------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        assert self.base is not None, "cluster not started"
        return self.base / "postgres.log"

    def start(self, timeout: float = 60.0) -> None:
        """initdb a fresh cluster and start it; returns once it accepts connections."""
        self.base = Path(tempfile.mkdtemp(prefix="drydock-pg-", dir=_world_traversable_tmp()))
        if self._account is not None:
            os.chown(self.base, self._account.pw_uid, self._account.pw_gid)
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.base / "data"),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",  # only 127.0.0.1 and a private socket directory can reach it
                "--encoding",
                "UTF8",
                "--no-locale",  # template databases in C; create_database() chooses each one's collation
                "--no-sync",
                timeout=timeout,
            )
            deadline = time.monotonic() + timeout
            for _attempt in range(5):
                self.port = free_port()
                if self._launch(deadline):
                    return
                # Another process took the port between picking and binding: try another one.
            raise PostgresUnavailable(f"PostgreSQL found no free port to bind:\n{self.log_tail()}")
        except BaseException:
            self.stop()  # never leave a half-started server or its directory behind
            raise

    def _launch(self, deadline: float) -> bool:
        assert self.base is not None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(self.base / "data"),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.base}",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "shared_buffers=32MB",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base,
                env=_child_env(),
                start_new_session=True,
                preexec_fn=_die_with_parent,
                user=self._uid,
                group=self._gid,
                extra_groups=self._extra_groups,
            )
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if b"could not bind" in self.log_path.read_bytes()[-4096:]:
                    self.process = None
                    return False
                raise PostgresUnavailable(f"PostgreSQL exited at start:\n{self.log_tail()}")
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2, autocommit=True) as conn:
                    self.server_version = conn.info.server_version
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)  # polling readiness against a deadline, not synchronising on time
        raise PostgresUnavailable(f"PostgreSQL did not accept connections in time:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT), escalating if it hangs; then remove the directory. Idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):
                process.send_signal(sig)
                try:
                    process.wait(timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except (OSError, AssertionError):
            return "(no log)"

    # --- databases --------------------------------------------------------------------------------

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL Drydock takes (``DRYDOCK_DB``)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, natural_collation: bool = True) -> str:
        """Create an empty database and return its SQLAlchemy URL.

        With ``natural_collation`` (and PostgreSQL 15+, built with ICU as Debian's is) the database's
        default collation is ICU ``en-US``, where ``"a" < "B"``, as on a typical production server.
        Columns that must sort by code point then only do so if the schema says ``COLLATE "C"``, so
        the contract suite catches a column that forgot it; the cluster's own C default would not.
        """
        _check_name(name)
        # FILE_COPY (PostgreSQL 15+) copies the tiny template in a few ms; WAL_LOG is slower for it.
        options = " STRATEGY FILE_COPY" if self.server_version >= 150000 else ""
        if natural_collation and self.server_version >= 150000:
            options += " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        self._admin(f'CREATE DATABASE "{name}"{options}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected (PostgreSQL 13+)."""
        _check_name(name)
        force = " WITH (FORCE)" if self.server_version >= 130000 else ""
        self._admin(f'DROP DATABASE IF EXISTS "{name}"{force}')

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(statement.encode())

    # --- running binaries -------------------------------------------------------------------------

    @property
    def _uid(self) -> int | None:
        return None if self._account is None else self._account.pw_uid

    @property
    def _gid(self) -> int | None:
        return None if self._account is None else self._account.pw_gid

    @property
    def _extra_groups(self) -> list[int] | None:
        # Drop root's supplementary groups along with its uid.
        return None if self._account is None else []

    def _run(self, program: str, *args: str, timeout: float) -> None:
        assert self.base is not None
        result = subprocess.run(
            [str(self.bin_dir / program), *args],
            cwd=self.base,
            env=_child_env(),
            capture_output=True,
            timeout=timeout,
            check=False,
            user=self._uid,
            group=self._gid,
            extra_groups=self._extra_groups,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise PostgresUnavailable(f"{program} failed ({result.returncode}):\n{output}")


def _check_name(name: str) -> None:
    if not _DATABASE_NAME.match(name):
        raise ValueError(f"database name {name!r} must match {_DATABASE_NAME.pattern}")


def _child_env() -> dict[str, str]:
    # A fixed, minimal environment: the caller's locale or PG* variables must not change the cluster.
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}


def _world_traversable_tmp() -> str:
    """The temp root, if the ``postgres`` account can reach a directory inside it; else ``/tmp``."""
    root = Path(tempfile.gettempdir()).resolve()
    for directory in (root, *root.parents):
        if not os.stat(directory).st_mode & 0o001:
            return "/tmp"
    return str(root)


def _die_with_parent() -> None:
    """Runs in the child before exec: if the test process dies hard, the postmaster shuts down too.

    Without it a SIGKILLed pytest would leave a postmaster running on the shared machine.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


_shared: PostgresCluster | None = None
_shared_lock = threading.Lock()


def shared_cluster() -> PostgresCluster:
    """One cluster per process, started on first use and stopped when the process exits.

    Fixtures in different test directories (the store contract suite, the PostgreSQL e2e test) share
    it, so a test session starts PostgreSQL once. Raises :class:`PostgresUnavailable`.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            cluster = PostgresCluster()
            cluster.start()
            stop: Callable[[], None] = cluster.stop
            atexit.register(stop)
            _shared = cluster
        return _shared
