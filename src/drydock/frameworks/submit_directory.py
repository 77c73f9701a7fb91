"""Staging ``sagemaker_submit_directory`` into ``/opt/ml/code``, as the training toolkit does.

The SDK uploads the estimator's ``source_dir`` (or lone entry point) as ``sourcedir.tar.gz`` and
passes its S3 URI in the ``sagemaker_submit_directory`` hyperparameter; the toolkit downloads it and
extracts it into ``/opt/ml/code`` before running ``sagemaker_program`` from there (reference §6).

Drydock's runner reads no object store itself; the engine stages the code. The accepted forms are:

* a local directory, or a local ``.tar.gz`` / ``.tar`` archive (SDK local mode passes ``file://``
  URIs, and the engine may pass a plain path);
* a ``file://`` URI to either of the above;
* an ``s3://`` URI, **provided the engine has downloaded the object and set the environment variable
  ``DRYDOCK_SUBMIT_DIRECTORY_LOCAL`` to the local path** of that file (or directory). Without it the
  job fails with a message naming the variable.

With no ``sagemaker_submit_directory`` at all the code directory is used as it is (SDK v3 and the
engine may have put the code there already).
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from drydock.frameworks.toolkit_error import ToolkitError

#: Set by the engine to the downloaded copy of an ``s3://`` submit directory.
LOCAL_COPY_ENV = "DRYDOCK_SUBMIT_DIRECTORY_LOCAL"


def local_source(submit_directory: str, environ: Mapping[str, str]) -> Path:
    """The local file or directory holding the code named by ``submit_directory``."""
    parsed = urlparse(submit_directory)
    if parsed.scheme == "s3":
        staged = environ.get(LOCAL_COPY_ENV)
        if not staged:
            raise ToolkitError(
                f"sagemaker_submit_directory {submit_directory} is in S3 but the engine did not stage it "
                f"(set {LOCAL_COPY_ENV} to the downloaded sourcedir.tar.gz)"
            )
        source = Path(staged)
    elif parsed.scheme == "file":
        source = Path(unquote(parsed.netloc + parsed.path))
    elif parsed.scheme == "":
        source = Path(submit_directory)
    else:
        raise ToolkitError(f"sagemaker_submit_directory {submit_directory}: unsupported URI scheme {parsed.scheme!r}")
    if not source.exists():
        raise ToolkitError(f"sagemaker_submit_directory {submit_directory}: {source} does not exist")
    return source


def stage(submit_directory: str | None, code_dir: Path, environ: Mapping[str, str]) -> None:
    """Put the user's code into ``code_dir`` (created if missing)."""
    code_dir.mkdir(parents=True, exist_ok=True)
    if not submit_directory:
        return
    source = local_source(submit_directory, environ)
    if source.is_dir():
        if source.resolve() != code_dir.resolve():
            shutil.copytree(source, code_dir, dirs_exist_ok=True, symlinks=True)
        return
    if not tarfile.is_tarfile(source):
        raise ToolkitError(f"sagemaker_submit_directory {submit_directory}: {source.name} is not a tar archive")
    with tarfile.open(source) as archive:
        # The "data" filter refuses absolute paths, ``..`` and device files: a tarball from a user
        # must not write outside /opt/ml/code.
        try:
            archive.extractall(code_dir, filter="data")
        except tarfile.FilterError as error:
            raise ToolkitError(f"sagemaker_submit_directory {submit_directory}: unsafe archive: {error}") from error
    _make_readable(code_dir)


def _make_readable(code_dir: Path) -> None:
    # The toolkit chmods the code directory so scripts run whatever the archive's modes were;
    # keep the owner's bits and add read (and execute for directories) for the owner.
    for root, dirs, files in os.walk(code_dir):
        for name in dirs:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | 0o700)
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o600)
