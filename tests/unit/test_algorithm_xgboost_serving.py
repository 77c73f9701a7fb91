"""Built-in XGBoost inference (``XGBoostHandler``) against models trained and saved as our training does.

Every request format and Accept type must give exactly what ``Booster.predict`` gives on the same rows,
in the bytes SageMaker's XGBoost container (1.7-1) writes; the failures carry the container's statuses
and messages.
"""

from __future__ import annotations

import io
import json
import math
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse  # type: ignore[import-untyped]
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # type: ignore[import-untyped]

from drydock.algorithms.xgboost.checkpoints import write_booster
from drydock.algorithms.xgboost.served_model import ModelLoadError
from drydock.algorithms.xgboost.serving import ServingOptions, XGBoostHandler
from drydock.algorithms.xgboost.training import MODEL_NAME
from drydock.formats.record_matrix import write_matrix
from drydock.formats.record_protobuf import decode_record
from drydock.formats.recordio import read_records
from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandlerError

Array = npt.NDArray[np.float64]
ROWS = 25  # rows per request: enough to cover both classes, small enough to keep the suite quick


def _train(params: dict[str, object], X: Array, y: Array, rounds: int = 15) -> xgb.Booster:
    return xgb.train({"nthread": 1, "seed": 0, **params}, xgb.DMatrix(X, label=y), rounds)


def _save(booster: xgb.Booster, directory: Path, name: str = MODEL_NAME) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_booster(booster, directory / name)
    return directory


def _handler(model_dir: Path, **env: str) -> XGBoostHandler:
    handler = XGBoostHandler(ServingOptions.from_env(env))
    handler.load(model_dir)
    return handler


def _invoke(handler: XGBoostHandler, body: bytes, content_type: str | None, accept: str | None) -> InferenceResponse:
    return handler.invoke(InferenceRequest(body, content_type, accept))


def _error(
    handler: XGBoostHandler, body: bytes, content_type: str | None, accept: str | None = None
) -> ModelHandlerError:
    with pytest.raises(ModelHandlerError) as caught:
        _invoke(handler, body, content_type, accept)
    return caught.value


def _csv(X: Array) -> bytes:
    return ("\n".join(",".join(repr(float(v)) for v in row) for row in X) + "\n").encode()


def _libsvm(X: Array) -> bytes:
    # Every value written (zeros too), so the rows mean what the dense ones do; a leading label is ignored.
    return "\n".join("0 " + " ".join(f"{i}:{float(v)!r}" for i, v in enumerate(row)) for row in X).encode()


def _recordio(X: Array | object) -> bytes:
    stream = io.BytesIO()
    write_matrix(stream, X)
    return stream.getvalue()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, xgb.Booster, Array]]:
    root = tmp_path_factory.mktemp("models")
    cancer_X, cancer_y = load_breast_cancer(return_X_y=True)
    iris_X, iris_y = load_iris(return_X_y=True)
    diabetes_X, diabetes_y = load_diabetes(return_X_y=True)
    trained = {
        "binary": (_train({"objective": "binary:logistic"}, cancer_X, cancer_y), cancer_X),
        "multi": (_train({"objective": "multi:softprob", "num_class": 3}, iris_X, iris_y), iris_X),
        "regression": (_train({"objective": "reg:squarederror"}, diabetes_X, diabetes_y), diabetes_X),
    }
    rng = np.random.default_rng(0)
    out = {}
    for name, (booster, X) in trained.items():
        rows = X[rng.choice(len(X), ROWS, replace=False)]
        out[name] = (_save(booster, root / name), booster, rows)
    return out


@pytest.mark.parametrize("kind", ["binary", "multi", "regression"])
@pytest.mark.parametrize(
    "content_type", ["text/csv", "text/libsvm", "text/x-libsvm", "application/x-recordio-protobuf"]
)
@pytest.mark.parametrize("accept", ["text/csv", "application/json", None, "*/*"])
def test_every_format_gives_booster_predict(
    models: dict[str, tuple[Path, xgb.Booster, Array]], kind: str, content_type: str, accept: str | None
) -> None:
    model_dir, booster, X = models[kind]
    expected = booster.predict(xgb.DMatrix(X))
    body = {"text/csv": _csv, "application/x-recordio-protobuf": _recordio}.get(content_type, _libsvm)(X)
    response = _invoke(_handler(model_dir), body, content_type, accept)
    if accept == "application/json":
        assert response.content_type == "application/json"
        scores = [entry["score"] for entry in json.loads(response.body)["predictions"]]
        np.testing.assert_array_equal(np.array(scores, dtype=np.float32), expected)
    else:  # csv, the default: one line per row, a multi-class row's probabilities comma-separated
        assert response.content_type == "text/csv; charset=utf-8"
        text = response.body.decode()
        assert text.endswith("\n") and text.count("\n") == ROWS
        rows = [[float(v) for v in line.split(",")] for line in text.splitlines()]
        np.testing.assert_array_equal(np.array(rows, dtype=np.float32).reshape(expected.shape), expected)


def test_csv_prints_values_as_python_does(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["multi"]
    expected = booster.predict(xgb.DMatrix(X[:2])).tolist()
    body = _invoke(_handler(model_dir), _csv(X[:2]), "text/csv", "text/csv").body
    assert body.decode() == "".join(",".join(map(str, row)) + "\n" for row in expected)


def test_sparse_recordio_and_sparse_libsvm_rows_are_missing_values(
    models: dict[str, tuple[Path, xgb.Booster, Array]],
) -> None:
    model_dir, booster, X = models["binary"]
    sparse = scipy.sparse.csr_matrix(np.where(np.median(X, axis=0) < X, X, 0.0))
    expected = booster.predict(xgb.DMatrix(sparse))
    handler = _handler(model_dir)
    from_recordio = _invoke(handler, _recordio(sparse), "application/x-recordio-protobuf", "application/json")
    libsvm = "\n".join(
        " ".join(f"{i}:{float(v)!r}" for i, v in zip(row.indices, row.data, strict=True)) for row in sparse
    )
    from_libsvm = _invoke(handler, libsvm.encode(), "text/libsvm", "application/json")
    for response in (from_recordio, from_libsvm):
        scores = [p["score"] for p in json.loads(response.body)["predictions"]]
        np.testing.assert_array_equal(np.array(scores, dtype=np.float32), expected)


def test_csv_details_the_container_accepts(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["regression"]
    handler = _handler(model_dir)
    row = X[:1].copy()
    row[0, 3] = np.nan
    expected = booster.predict(xgb.DMatrix(row))
    fields = [repr(float(v)) for v in X[0]]
    fields[3] = ""  # an empty field is a missing value
    for body in (
        ",".join(fields),
        ",".join(fields) + "\r\n",
        "\t".join(fields) + "\n",
        " " + ",".join(fields) + "\n\n",
    ):
        response = _invoke(handler, body.encode(), "text/csv; charset=utf-8", "text/csv")
        assert np.float32(float(response.body.decode())) == expected[0]


def test_fewer_columns_than_the_model_are_missing(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["binary"]
    narrow = X[:, :-3]
    response = _invoke(_handler(model_dir), _csv(narrow), "text/csv", "application/json")
    scores = [p["score"] for p in json.loads(response.body)["predictions"]]
    np.testing.assert_array_equal(np.array(scores, dtype=np.float32), booster.predict(xgb.DMatrix(narrow)))


def test_batch_mode_writes_one_prediction_per_line(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["multi"]
    expected = booster.predict(xgb.DMatrix(X[:3])).tolist()
    handler = _handler(model_dir, SAGEMAKER_BATCH="true")
    for accept in ("text/csv", "application/json"):  # the container writes lines whatever the Accept
        body = _invoke(handler, _csv(X[:3]), "text/csv", accept).body
        assert body.decode() == "".join(f"{row}\n" for row in expected)


def test_selected_outputs_for_binary_classification(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["binary"]
    p = booster.predict(xgb.DMatrix(X[:4])).tolist()
    keys = "predicted_label, probability,probabilities,raw_score,raw_scores,labels,predicted_score"
    handler = _handler(model_dir, SAGEMAKER_INFERENCE_OUTPUT=keys)
    records = json.loads(_invoke(handler, _csv(X[:4]), "text/csv", "application/json").body)["predictions"]
    assert [list(r) for r in records] == [
        ["predicted_label", "labels", "probability", "probabilities", "raw_score", "raw_scores", "predicted_score"]
    ] * 4
    for record, value in zip(records, p, strict=True):
        assert record["predicted_label"] == int(value > 0.5)
        assert record["labels"] == [0, 1]
        assert record["probability"] == record["raw_score"] == value
        assert record["probabilities"] == record["raw_scores"] == [1.0 - value, value]
        assert math.isnan(record["predicted_score"])  # a regression key: NaN for a classifier
    lines = _invoke(handler, _csv(X[:4]), "text/csv", "application/jsonlines").body.decode().splitlines()
    assert [json.loads(line.replace("NaN", "null"))["probability"] for line in lines] == p
    csv_lines = _invoke(handler, _csv(X[:4]), "text/csv", "text/csv").body.decode().split("\n")
    assert csv_lines[0] == f'{int(p[0] > 0.5)},{p[0]},"{[1.0 - p[0], p[0]]}",{p[0]},"{[1.0 - p[0], p[0]]}","[0, 1]",nan'


def test_selected_outputs_as_recordio_protobuf(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["multi"]
    probabilities = booster.predict(xgb.DMatrix(X[:3]))
    handler = _handler(model_dir, SAGEMAKER_INFERENCE_OUTPUT="predicted_label,probabilities")
    response = _invoke(handler, _csv(X[:3]), "text/csv", "application/x-recordio-protobuf")
    assert response.content_type == "application/x-recordio-protobuf"
    records = [decode_record(payload) for payload in read_records(io.BytesIO(response.body))]
    assert len(records) == 3
    for record, row in zip(records, probabilities, strict=True):
        assert list(record.label) == ["predicted_label", "probabilities"]
        label, probs = record.label["predicted_label"], record.label["probabilities"]
        assert label.values.dtype == np.float32 and float(label.values[0]) == float(np.argmax(row))
        np.testing.assert_array_equal(probs.values, row)


def test_selected_outputs_in_batch_csv_and_for_regression(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, booster, X = models["regression"]
    scores = booster.predict(xgb.DMatrix(X[:2])).tolist()
    handler = _handler(model_dir, SAGEMAKER_INFERENCE_OUTPUT="predicted_score,predicted_label", SAGEMAKER_BATCH="True")
    body = _invoke(handler, _csv(X[:2]), "text/csv", "text/csv").body.decode()
    assert body == "".join(f"{score},nan\n" for score in scores)


def test_selected_outputs_for_an_objective_without_them(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True)
    model_dir = _save(_train({"objective": "count:poisson"}, X, np.round(y / 50), rounds=2), tmp_path)
    handler = _handler(model_dir, SAGEMAKER_INFERENCE_OUTPUT="predicted_score")
    error = _error(handler, _csv(X[:1]), "text/csv")
    assert (
        error.status == 500
        and error.message == "Objective `count:poisson` unsupported for selectable inference predictions."
    )


def test_request_errors_have_the_containers_statuses(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, _, X = models["binary"]
    handler = _handler(model_dir)
    unsupported = _error(handler, b'{"instances": [[1, 2]]}', "application/json")
    assert unsupported.status == 415
    assert unsupported.message.startswith("application/json is not an accepted ContentType: ")
    parquet = _error(handler, b"PAR1", "application/x-parquet")
    assert (parquet.status, parquet.message) == (415, "Content-type application/x-parquet is not supported.")
    header = _error(handler, b"age,income\n1,2", "text/csv")
    assert header.status == 415
    assert header.message.startswith("Loading csv data failed with Exception, please ensure data is in csv format:")
    assert "could not convert string to float: 'age'" in header.message
    ragged = _error(handler, b"1,2,3\n4,5", "text/csv")
    assert ragged.status == 415 and "line 2 has 2 fields but line 1 has 3" in ragged.message
    libsvm = _error(handler, b"1 a:3", "text/libsvm")
    assert libsvm.status == 415 and libsvm.message.startswith("Loading libsvm data failed with Exception")
    recordio = _error(handler, b"not recordio", "application/x-recordio-protobuf")
    assert recordio.status == 415 and "recordio-protobuf format" in recordio.message
    too_wide = _error(handler, _csv(np.hstack([X[:1], X[:1]])), "text/csv")
    assert too_wide.status == 400 and too_wide.message.startswith("Unable to evaluate payload provided: ")
    accept = _error(handler, _csv(X[:1]), "text/csv", "application/x-npy")
    assert accept.status == 406
    assert accept.message == (
        "Accept type application/x-npy is not supported. Please use supported accept types: "
        "['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', 'text/csv']."
    )
    jsonlines = _error(handler, _csv(X[:1]), "text/csv", "application/jsonlines")
    assert jsonlines.status == 406 and "SAGEMAKER_INFERENCE_OUTPUT" in jsonlines.message


def test_empty_body_is_no_content_and_attributes_come_back(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, _, X = models["binary"]
    handler = _handler(model_dir)
    empty = handler.invoke(InferenceRequest(b"", "text/csv", None, "trace-id=1"))
    assert (empty.status, empty.body) == (204, b"")
    answered = handler.invoke(InferenceRequest(_csv(X[:1]), "text/csv", None, "trace-id=2"))
    assert answered.custom_attributes == "trace-id=2" and answered.status == 200


def test_default_accept_and_accept_parameters(models: dict[str, tuple[Path, xgb.Booster, Array]]) -> None:
    model_dir, _, X = models["binary"]
    handler = _handler(model_dir, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/json")
    assert _invoke(handler, _csv(X[:1]), "text/csv", None).content_type == "application/json"
    assert _invoke(handler, _csv(X[:1]), "text/csv", "TEXT/CSV; q=1").content_type == "text/csv; charset=utf-8"


def _ensemble_dir(
    tmp_path: Path, objective: Mapping[str, object], X: Array, y: Array
) -> tuple[Path, list[xgb.Booster]]:
    boosters = [_train({**objective, "seed": fold, "subsample": 0.6}, X, y, rounds=3 + fold) for fold in range(3)]
    for fold, booster in enumerate(boosters):
        _save(booster, tmp_path, f"{MODEL_NAME}-{fold}")
    return tmp_path, boosters


def test_kfold_models_are_averaged_or_voted(tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    prob_dir, prob = _ensemble_dir(tmp_path / "prob", {"objective": "multi:softprob", "num_class": 3}, X, y)
    response = _invoke(_handler(prob_dir), _csv(X), "text/csv", "application/json")
    scores = np.array([p["score"] for p in json.loads(response.body)["predictions"]], dtype=np.float32)
    np.testing.assert_allclose(scores, np.mean([b.predict(xgb.DMatrix(X)) for b in prob], axis=0), rtol=1e-6)
    vote_dir, voters = _ensemble_dir(tmp_path / "vote", {"objective": "multi:softmax", "num_class": 3}, X, y)
    votes = np.stack([b.predict(xgb.DMatrix(X)) for b in voters])
    expected = [np.bincount(votes[:, i].astype(int)).argmax() for i in range(len(X))]
    body = _invoke(_handler(vote_dir), _csv(X), "text/csv", "text/csv").body.decode()
    assert [float(v) for v in body.splitlines()] == expected
    single = _invoke(_handler(vote_dir, SAGEMAKER_INFERENCE_ENSEMBLE="false"), _csv(X), "text/csv", "text/csv")
    assert [float(v) for v in single.body.decode().splitlines()] == voters[0].predict(xgb.DMatrix(X)).tolist()


def test_other_model_files_and_pickles_load(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    booster = _train({"objective": "binary:logistic"}, X, y, rounds=3)
    expected = booster.predict(xgb.DMatrix(X[:2])).tolist()
    json_dir = tmp_path / "json"
    json_dir.mkdir()
    booster.save_model(json_dir / "model.json")
    (json_dir / ".DS_Store").write_bytes(b"ignored")
    pickled_dir = tmp_path / "pickled"
    pickled_dir.mkdir()
    (pickled_dir / "xgboost-model").write_bytes(pickle.dumps(booster))
    for model_dir in (json_dir, pickled_dir):
        body = _invoke(_handler(model_dir), _csv(X[:2]), "text/csv", "text/csv").body
        assert [float(v) for v in body.decode().splitlines()] == expected


def test_dart_and_linear_boosters_predict_as_predict_does(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    for params in ({"booster": "dart", "rate_drop": 0.2}, {"booster": "gblinear"}):
        booster_type = str(params["booster"])
        booster = _train({"objective": "binary:logistic", **params}, X, y, rounds=5)
        model_dir = _save(booster, tmp_path / booster_type)
        body = _invoke(_handler(model_dir), _csv(X[:5]), "text/csv", "text/csv").body
        assert [float(v) for v in body.decode().splitlines()] == booster.predict(xgb.DMatrix(X[:5])).tolist()


def test_unusable_model_directories_fail_to_load_with_a_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "code").mkdir(parents=True)
    with pytest.raises(ModelLoadError, match=r"No model file in .*empty: the model archive must hold xgboost-model"):
        _handler(empty)
    with pytest.raises(ModelLoadError, match="does not exist"):
        _handler(tmp_path / "missing")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "xgboost-model").write_text("not a model")
    with pytest.raises(ModelLoadError, match=r"xgboost-model cannot be loaded: it is not a model xgboost"):
        _handler(garbage)
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "xgboost-model").write_bytes(pickle.dumps({"not": "a booster"}))
    with pytest.raises(ModelLoadError, match="it is a pickled dict, not an xgboost Booster"):
        _handler(pickled)
