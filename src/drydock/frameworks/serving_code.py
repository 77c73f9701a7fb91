"""Where a served model's script comes from: ``SAGEMAKER_SUBMIT_DIRECTORY``, as the inference toolkits read it.

The SDK sets it on the model's Environment (reference §5 I) in one of two shapes:

* ``s3://…/sourcedir.tar.gz`` (scikit-learn, XGBoost, older PyTorch): the container downloads the
  archive (boto3, honouring ``S3_ENDPOINT_URL`` as ``sagemaker-containers`` does) and extracts it into
  ``/opt/ml/code``. Here the replica's tree's ``code/`` beside its ``model/``. If the replica backend
  already downloaded it, ``DRYDOCK_SUBMIT_DIRECTORY_LOCAL`` names the local copy, as for training.
* ``/opt/ml/model/code`` (PyTorch 1.2+ repacks ``code/inference.py`` into model.tar.gz): the code is
  used where it is. Outside a sandbox the model is not at ``/opt/ml/model`` but at ``SM_MODEL_DIR``, so
  that prefix is resolved against the real model directory.

Without the variable, the code is the model's ``code/`` directory when it has one (the toolkit puts
``/opt/ml/model/code`` on ``sys.path`` whatever the Environment says).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from drydock.frameworks import submit_directory
from drydock.frameworks.toolkit_error import ToolkitError

SUBMIT_DIRECTORY_VARIABLE = "SAGEMAKER_SUBMIT_DIRECTORY"
#: Where SageMaker extracts model.tar.gz, and the path the SDK writes into the Environment.
CONTAINER_MODEL_DIR = PurePosixPath("/opt/ml/model")


def model_dir_from(environ: Mapping[str, str]) -> Path:
    """The model directory: ``SM_MODEL_DIR`` when the replica backend set it, else ``/opt/ml/model``."""
    return Path(environ.get("SM_MODEL_DIR") or CONTAINER_MODEL_DIR)


def code_dir_for(environ: Mapping[str, str], model_dir: Path) -> Path:
    """Where an archive is extracted: the tree's ``code/`` (``/opt/ml/code`` in a container)."""
    root = environ.get("DRYDOCK_OPT_ML") or environ.get("SAGEMAKER_BASE_DIR")
    return Path(root) / "code" if root else model_dir.parent / "code"


def resolve_against_model_dir(submit: str, model_dir: Path) -> str:
    """``/opt/ml/model/code`` (or ``file:///opt/ml/model/code``) with the real model directory."""
    parsed = urlparse(submit)
    if parsed.scheme not in ("", "file"):
        return submit
    path = PurePosixPath(parsed.netloc + parsed.path if parsed.scheme == "file" else submit)
    if not path.is_relative_to(CONTAINER_MODEL_DIR):
        return submit
    return str(model_dir / path.relative_to(CONTAINER_MODEL_DIR))


def stage(environ: Mapping[str, str], model_dir: Path) -> Path | None:
    """The directory holding the user's code (to put on ``sys.path``), or None when there is none.

    Raises :class:`ToolkitError` when the submit directory cannot be found, fetched or unpacked.
    """
    submit = environ.get(SUBMIT_DIRECTORY_VARIABLE, "").strip()
    if not submit:
        bundled = model_dir / "code"
        return bundled if bundled.is_dir() else None
    submit = resolve_against_model_dir(submit, model_dir)
    if urlparse(submit).scheme == "s3" and not environ.get(submit_directory.LOCAL_COPY_ENV):
        with tempfile.TemporaryDirectory(prefix="drydock-sourcedir-") as scratch:
            archive = Path(scratch) / "sourcedir.tar.gz"
            download(submit, archive, environ)
            return _unpack(submit, {**environ, submit_directory.LOCAL_COPY_ENV: str(archive)}, model_dir)
    return _unpack(submit, environ, model_dir)


def _unpack(submit: str, environ: Mapping[str, str], model_dir: Path) -> Path:
    source = submit_directory.local_source(submit, environ)
    if source.is_dir():
        return source
    code_dir = code_dir_for(environ, model_dir)
    submit_directory.stage(submit, code_dir, environ)
    return code_dir


def download(uri: str, target: Path, environ: Mapping[str, str]) -> None:
    """Fetch ``s3://bucket/key`` to ``target`` with the credentials and endpoint in ``environ``."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise ToolkitError(f"{SUBMIT_DIRECTORY_VARIABLE} {uri} is not an s3://bucket/key URI")
    session = boto3.session.Session(
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=environ.get("AWS_SESSION_TOKEN"),
        region_name=environ.get("AWS_REGION") or environ.get("SAGEMAKER_REGION") or environ.get("AWS_DEFAULT_REGION"),
    )
    endpoint = environ.get("S3_ENDPOINT_URL") or environ.get("AWS_ENDPOINT_URL") or None
    try:
        session.client("s3", endpoint_url=endpoint).download_file(bucket, key, str(target))
    except (BotoCoreError, ClientError) as error:
        raise ToolkitError(f"could not download {SUBMIT_DIRECTORY_VARIABLE} {uri}: {error}") from error
