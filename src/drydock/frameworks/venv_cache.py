"""Cached virtual environments for a job's ``requirements.txt``, layered over the server's own.

SageMaker's toolkit ``pip install -r requirements.txt`` into the container before running the
script; every job starts from a fresh container, so it pays the install every time. Drydock runs
jobs on the host, so it installs into a virtual environment kept in a cache and reused by every
later job with the same requirements: the second job starts at once.

* The key is a hash of the requirements file's bytes, the Python version and the base
  environment's prefix (a venv is tied to the interpreter and site-packages it layers over).
* The venv is created ``--without-pip`` with ``--system-site-packages`` and a ``.pth`` file that
  adds the current interpreter's site-packages, so everything the server has (numpy, sklearn,
  xgboost, pip itself, ...) stays importable and only what is missing gets installed. When the
  server itself runs in a venv, ``--system-site-packages`` alone would expose the *base* Python's
  packages, not the server's; the ``.pth`` file is what layers it over the server's.
* Creation is atomic: build in a temporary directory beside the target, then ``rename`` it into
  place; a crash leaves only a ``.tmp-*`` directory, never a half-built environment. Builders of
  the same key take an exclusive ``flock`` so concurrent jobs install once and never see a partial
  environment; a lost race on ``rename`` still keeps the winner's copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import site
import subprocess
import sys
import tempfile
import venv
from dataclasses import dataclass
from pathlib import Path

from drydock.frameworks.toolkit_error import InstallRequirementsError

#: Where environments are cached; the default is per user, shared by all jobs of this server.
CACHE_ENV = "DRYDOCK_VENV_CACHE"
_LAYER_PTH = "_drydock_server_site.pth"
#: Lines of pip's output kept for the failure message (pip's error is at the end).
_PIP_TAIL_LINES = 20


@dataclass(frozen=True)
class CachedEnvironment:
    path: Path
    #: False when this call built it, True when an earlier job had.
    reused: bool

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.path / "bin"


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".drydock" / "venvs"


def cache_key(requirements: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(requirements)
    digest.update(f"\0{sys.implementation.name}-{sys.version}\0{os.path.realpath(sys.prefix)}".encode())
    return digest.hexdigest()[:32]


def environment_for(requirements_file: Path, cache_dir: Path | None = None) -> CachedEnvironment:
    """The environment with ``requirements_file`` installed, built on first use."""
    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    requirements = requirements_file.read_bytes()
    target = cache / cache_key(requirements)
    if _complete(target):
        return CachedEnvironment(target, reused=True)
    with open(cache / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _complete(target):
            return CachedEnvironment(target, reused=True)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=cache))
        try:
            _build(staging, target, requirements_file)
            (staging / "requirements.txt").write_bytes(requirements)
            try:
                staging.rename(target)
            except OSError:
                # Another builder (e.g. one on a host sharing the cache without flock) won the
                # rename; its copy is complete, so use it.
                if not _complete(target):
                    raise
                return CachedEnvironment(target, reused=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return CachedEnvironment(target, reused=False)


def _complete(path: Path) -> bool:
    # Only renamed-into-place directories have this name, and they are complete by construction;
    # the python link is checked in case someone pruned the cache by hand.
    return (path / "bin" / "python").exists() and (path / "requirements.txt").exists()


def _build(staging: Path, target: Path, requirements_file: Path) -> None:
    venv.EnvBuilder(system_site_packages=True, with_pip=False, symlinks=True, clear=True).create(staging)
    python = staging / "bin" / "python"
    venv_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # ``site.addsitedir`` (not a bare path line) so the server's own .pth files (editable
    # installs, namespace packages) are processed as well.
    layers = [p for p in site.getsitepackages() if os.path.isdir(p)]
    venv_site.mkdir(parents=True, exist_ok=True)
    (venv_site / _LAYER_PTH).write_text("".join(f"import site; site.addsitedir({layer!r})\n" for layer in layers))
    command = [str(python), "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r"]
    command.append(str(requirements_file))
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    # pip's progress goes to the job's log, as the toolkit's install does.
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-_PIP_TAIL_LINES:])
        raise InstallRequirementsError(command, result.returncode, tail)
    _retarget_scripts(staging, target)


def _retarget_scripts(staging: Path, target: Path) -> None:
    # pip writes console scripts with a shebang naming the interpreter it ran under, i.e. the
    # staging path; point them at where the environment will live after the rename.
    old, new = f"#!{staging}/bin/".encode(), f"#!{target}/bin/".encode()
    for script in (staging / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        with open(script, "rb") as handle:
            head = handle.read(len(old))
        if head == old:
            script.write_bytes(new + script.read_bytes()[len(old) :])
