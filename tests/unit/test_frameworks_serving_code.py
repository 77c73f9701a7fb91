"""Where a served model's script is found: the SAGEMAKER_SUBMIT_DIRECTORY shapes the SDK sends."""

from __future__ import annotations

from pathlib import Path

import pytest

from drydock.frameworks import serving_code
from drydock.frameworks.toolkit_error import ToolkitError
from tests.unit.test_frameworks_runner import sourcedir_tarball


def replica_tree(tmp_path: Path) -> Path:
    model = tmp_path / "replica" / "model"
    model.mkdir(parents=True)
    return model


def test_pytorch_repack_code_dir_resolves_against_the_real_model_dir(tmp_path: Path) -> None:
    model = replica_tree(tmp_path)
    (model / "code").mkdir()
    (model / "code" / "inference.py").write_text("")
    env = {"SM_MODEL_DIR": str(model), "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
    assert serving_code.model_dir_from(env) == model
    # Used in place: nothing is copied out of the model.
    assert serving_code.stage(env, model) == model / "code"
    file_uri = {**env, "SAGEMAKER_SUBMIT_DIRECTORY": "file:///opt/ml/model/code"}
    assert serving_code.stage(file_uri, model) == model / "code"


def test_without_a_submit_directory_the_models_code_dir_is_used_when_there_is_one(tmp_path: Path) -> None:
    model = replica_tree(tmp_path)
    assert serving_code.stage({}, model) is None
    (model / "code").mkdir()
    assert serving_code.stage({}, model) == model / "code"


def test_a_sourcedir_archive_is_extracted_into_the_trees_code_dir(tmp_path: Path) -> None:
    model = replica_tree(tmp_path)
    archive = sourcedir_tarball(tmp_path / "sourcedir.tar.gz", {"inference.py": "X = 1\n", "lib/util.py": ""})
    code = serving_code.stage({"SAGEMAKER_SUBMIT_DIRECTORY": archive.as_uri()}, model)
    assert code == model.parent / "code"
    assert (code / "inference.py").read_text() == "X = 1\n" and (code / "lib" / "util.py").exists()
    # A replica backend that already fetched the S3 object hands over its local copy.
    staged = serving_code.stage(
        {
            "SAGEMAKER_SUBMIT_DIRECTORY": "s3://bucket/job/sourcedir.tar.gz",
            "DRYDOCK_SUBMIT_DIRECTORY_LOCAL": str(archive),
            "DRYDOCK_OPT_ML": str(tmp_path / "elsewhere"),
        },
        model,
    )
    assert staged == tmp_path / "elsewhere" / "code" and (staged / "inference.py").exists()


def test_missing_or_unreachable_code_is_a_toolkit_error_naming_it(tmp_path: Path) -> None:
    model = replica_tree(tmp_path)
    with pytest.raises(ToolkitError, match="does not exist"):
        serving_code.stage({"SAGEMAKER_SUBMIT_DIRECTORY": str(tmp_path / "nowhere.tar.gz")}, model)
    with pytest.raises(ToolkitError, match="not an s3://bucket/key URI"):
        serving_code.stage({"SAGEMAKER_SUBMIT_DIRECTORY": "s3://bucket-only"}, model)
