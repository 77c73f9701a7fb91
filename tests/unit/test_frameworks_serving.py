"""Script-mode serving as a user of SKLearnModel / PyTorchModel / XGBoostModel sees it: their
``inference.py`` (or none) behind the model-handler contract, requests as the SDK's serializers send
them, responses as its deserializers read them."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from drydock.frameworks.serving import ScriptModeHandler, defaults_for, detect_framework
from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandlerError

IRIS = load_iris()
SETOSA, VIRGINICA = [5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]

SKLEARN_SCRIPT = """
import os, joblib

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))

def predict_fn(input_data, model):
    return model.predict(input_data)
"""


def npy(array: object) -> bytes:
    """What the SDK's NumpySerializer sends: ``np.save`` of ``np.array(data)`` (Python floats → float64)."""
    buffer = io.BytesIO()
    np.save(buffer, np.array(array))
    return buffer.getvalue()


def npy_loads(body: bytes) -> np.ndarray:
    """What the SDK's NumpyDeserializer does with an ``application/x-npy`` response."""
    return np.load(io.BytesIO(body), allow_pickle=False)


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("sklearn-model")
    joblib.dump(LogisticRegression(max_iter=500).fit(IRIS.data, IRIS.target), model_dir / "model.joblib")
    return model_dir


def handler_for(
    tmp_path: Path, framework: str, script: str | None, model_dir: Path, accept: str = ""
) -> ScriptModeHandler:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    if script is not None:
        (code / "inference.py").write_text(textwrap.dedent(script))
    handler = ScriptModeHandler(defaults_for(framework), code, "inference.py" if script else None, accept)
    handler.load(model_dir)
    return handler


def invoke(
    handler: ScriptModeHandler, body: bytes, content_type: str | None, accept: str | None = None, attributes: str = ""
) -> InferenceResponse:
    return handler.invoke(InferenceRequest(body, content_type, accept, attributes or None))


def test_sklearn_script_with_model_fn_and_predict_fn_and_default_codecs(tmp_path: Path, iris_model: Path) -> None:
    handler = handler_for(tmp_path, "sklearn", SKLEARN_SCRIPT, iris_model)

    as_json = invoke(handler, json.dumps([SETOSA, VIRGINICA]).encode(), "application/json", "application/json")
    assert (as_json.content_type, json.loads(as_json.body)) == ("application/json", [0, 2])
    # One CSV row is one sample (the sklearn container reshapes 1-D input); no Accept means JSON.
    one_row = invoke(handler, b"5.1,3.5,1.4,0.2", "text/csv", None)
    assert (one_row.content_type, json.loads(one_row.body)) == ("application/json", [0])
    rows = invoke(handler, b"5.1,3.5,1.4,0.2\n7.7,3.0,6.1,2.3\n", "text/csv; charset=utf-8", "text/csv")
    assert (rows.content_type, rows.body) == ("text/csv", b"0\n2\n")
    as_npy = invoke(handler, npy([SETOSA, VIRGINICA]), "application/x-npy", "application/x-npy")
    assert as_npy.content_type == "application/x-npy"
    assert npy_loads(as_npy.body).tolist() == [0, 2]
    # */* (the SDK's BytesDeserializer) and a list of types: the first one with an encoder wins.
    assert invoke(handler, b"[5.1,3.5,1.4,0.2]", "application/json", "*/*").content_type == "application/json"
    listed = invoke(handler, b"[5.1,3.5,1.4,0.2]", "application/json", "image/png, text/csv;q=0.9")
    assert (listed.content_type, listed.body) == ("text/csv", b"0\n")


def test_default_accept_comes_from_the_environment_variable(tmp_path: Path, iris_model: Path) -> None:
    handler = handler_for(tmp_path, "sklearn", SKLEARN_SCRIPT, iris_model, accept="text/csv")
    response = invoke(handler, b"5.1,3.5,1.4,0.2", "text/csv", "*/*")
    assert (response.content_type, response.body) == ("text/csv", b"0\n")


def test_unsupported_content_type_is_415_and_unsupported_accept_406_worded_as_the_toolkit(
    tmp_path: Path, iris_model: Path
) -> None:
    handler = handler_for(tmp_path, "sklearn", SKLEARN_SCRIPT, iris_model)
    with pytest.raises(ModelHandlerError) as media:
        invoke(handler, b"\x89PNG", "image/png", "application/json")
    assert media.value.status == 415
    assert media.value.message.startswith("Content type image/png is not supported by this framework.")
    assert "Please implement input_fn" in media.value.message
    with pytest.raises(ModelHandlerError) as accept:
        invoke(handler, b"[5.1,3.5,1.4,0.2]", "application/json", "application/x-protobuf")
    assert (accept.value.status, accept.value.message.split("\n")[0]) == (
        406,
        "Content type application/x-protobuf is not supported by this framework.",
    )
    with pytest.raises(ModelHandlerError) as garbage:
        invoke(handler, b"[5.1, 3.5,", "application/json", "application/json")
    assert garbage.value.status == 400 and "application/json" in garbage.value.message


def test_error_in_predict_fn_is_500_with_its_message_and_the_traceback_in_the_log(
    tmp_path: Path, iris_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = SKLEARN_SCRIPT.replace(
        "return model.predict(input_data)",
        'raise ValueError(f"expected 4 features, got {input_data.shape[1]}")',
    )
    handler = handler_for(tmp_path, "sklearn", script, iris_model)
    with pytest.raises(ModelHandlerError) as error:
        invoke(handler, b"1,2,3", "text/csv", "application/json")
    assert (error.value.status, error.value.message) == (500, "expected 4 features, got 3")
    log = capsys.readouterr().out
    assert "Traceback (most recent call last)" in log and "in predict_fn" in log


def test_output_fn_returning_a_body_and_content_type(tmp_path: Path, iris_model: Path) -> None:
    script = SKLEARN_SCRIPT + textwrap.dedent(
        """
        import json
        def output_fn(prediction, accept):
            names = ["setosa", "versicolor", "virginica"]
            return json.dumps({"species": [names[i] for i in prediction]}), "application/vnd.iris+json"
        """
    )
    handler = handler_for(tmp_path, "sklearn", script, iris_model)
    response = invoke(handler, json.dumps([SETOSA, VIRGINICA]).encode(), "application/json", "application/json")
    assert response.content_type == "application/vnd.iris+json"
    assert json.loads(response.body) == {"species": ["setosa", "virginica"]}


def test_transform_fn_gets_the_text_body_and_answers_with_the_accept(tmp_path: Path, iris_model: Path) -> None:
    script = """
    import os, joblib

    def model_fn(model_dir):
        return joblib.load(os.path.join(model_dir, "model.joblib"))

    def transform_fn(model, request_body, content_type, accept):
        assert isinstance(request_body, str), type(request_body)
        rows = [[float(v) for v in line.split(",")] for line in request_body.splitlines()]
        return "|".join(str(p) for p in model.predict(rows))
    """
    handler = handler_for(tmp_path, "sklearn", script, iris_model)
    response = invoke(handler, b"5.1,3.5,1.4,0.2\n7.7,3.0,6.1,2.3", "text/csv", "text/plain")
    assert (response.content_type, response.body) == ("text/plain", b"0|2")


def test_transform_fn_mixed_with_input_fn_is_refused_at_start_up(tmp_path: Path, iris_model: Path) -> None:
    script = SKLEARN_SCRIPT + "\ndef transform_fn(model, data, content_type, accept):\n    return data\n"
    with pytest.raises(ValueError, match="Cannot use transform_fn implementation in conjunction with input_fn"):
        handler_for(tmp_path, "sklearn", script, iris_model)


def test_functions_that_take_a_context_get_the_request_headers(tmp_path: Path, iris_model: Path) -> None:
    script = """
    import json, os, joblib

    def model_fn(model_dir, context):
        assert context.system_properties["model_dir"] == model_dir
        return joblib.load(os.path.join(model_dir, "model.joblib"))

    def input_fn(request_body, content_type, context):
        return json.loads(request_body)["instances"]

    def predict_fn(data, model, context):
        return model.predict_proba(data) if context.custom_attributes == "proba" else model.predict(data)

    def output_fn(prediction, accept, context):
        context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", "rows=" + str(len(prediction)))
        return json.dumps(prediction.tolist())
    """
    handler = handler_for(tmp_path, "sklearn", script, iris_model)
    body = json.dumps({"instances": [SETOSA]}).encode()
    plain = invoke(handler, body, "application/json", "application/json")
    assert (json.loads(plain.body), plain.custom_attributes) == ([0], "rows=1")
    proba = invoke(handler, body, "application/json", "application/json", attributes="proba")
    assert len(json.loads(proba.body)[0]) == 3


def test_sklearn_without_model_fn_fails_at_start_up_as_the_container_does(tmp_path: Path, iris_model: Path) -> None:
    with pytest.raises(NotImplementedError, match="Please provide a model_fn implementation"):
        handler_for(tmp_path, "sklearn", "def predict_fn(data, model):\n    return data\n", iris_model)


class TinyNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]]))
            self.linear.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_pytorch_torchscript_model_with_the_default_handlers(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    torch.jit.save(torch.jit.script(TinyNet()), str(model_dir / "model.pth"))
    (model_dir / "code").mkdir()  # the SDK's repack adds code/; no inference.py → every default
    handler = ScriptModeHandler(defaults_for(detect_framework(model_dir)), model_dir / "code", None)
    handler.load(model_dir)

    # NumpySerializer turns Python floats into float64; the float32 model still answers.
    response = invoke(handler, npy([[1.0, 2.0, 3.0], [0.5, 0.0, 4.0]]), "application/x-npy", "application/x-npy")
    assert response.content_type == "application/x-npy"
    result = npy_loads(response.body)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, [[1.0, 7.0], [0.5, 4.0]])
    as_json = invoke(handler, b"[[1, 1, 1]]", "application/json", "application/json")
    np.testing.assert_allclose(json.loads(as_json.body), [[1.0, 3.0]])


def test_pytorch_model_that_is_not_torchscript_asks_for_torchscript(tmp_path: Path) -> None:
    torch.save(TinyNet().state_dict(), tmp_path / "model.pt")
    handler = ScriptModeHandler(defaults_for("pytorch"), None, None)
    with pytest.raises(Exception, match="Please ensure model is saved using torchscript"):
        handler.load(tmp_path)


def test_xgboost_framework_mode_loads_the_booster_and_predicts_csv_rows(tmp_path: Path) -> None:
    import xgboost as xgb

    features = np.array([[0.0], [1.0], [2.0], [3.0]] * 10)
    booster = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(features, label=features[:, 0] * 10), 30)
    booster.save_model(str(tmp_path / "xgboost-model"))
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text("# only the defaults\n")
    handler = ScriptModeHandler(defaults_for(detect_framework(tmp_path)), tmp_path / "code", "inference.py")
    handler.load(tmp_path)
    response = invoke(handler, b"0\n3\n", "text/csv", "text/csv")
    assert [round(float(v)) for v in response.body.decode().split()] == [0, 30]
