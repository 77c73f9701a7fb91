"""What a framework container does when the user's script leaves a handler function out.

* Every framework (``sagemaker-inference`` ``DefaultInferenceHandler``): ``input_fn`` decodes JSON,
  CSV, NPY and NPZ (:mod:`.content_codecs`), ``output_fn`` encodes to the Accept; ``model_fn`` and
  ``predict_fn`` have no default and fail with the toolkit's "Please provide a ..." message.
* scikit-learn (``sagemaker-scikit-learn-container``): still no default ``model_fn`` (the container
  requires one, so a script without it fails at start-up as it does on SageMaker); ``input_fn`` makes a
  1-D request one row and JSON/CSV float32; ``predict_fn`` is ``model.predict(data)``.
* XGBoost framework mode (``sagemaker-xgboost`` with ``SAGEMAKER_PROGRAM``): ``input_fn`` gives a
  ``DMatrix``: CSV one row per line and RecordIO-protobuf as the container decodes them, JSON/NPY/NPZ
  as well (LIBSVM, which the container also takes, is left to a user ``input_fn`` for now);
  ``predict_fn`` is ``model.predict(dmatrix, validate_features=False)`` for a Booster. The container
  has no default ``model_fn`` in framework mode; Drydock loads the booster the way its algorithm mode
  does (the one model file in the directory, unpickled or else ``Booster.load_model``), because a
  script that only customises ``input_fn`` should not have to repeat that.
* PyTorch: :mod:`.torch_inference`.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from drydock.formats.format_error import DataFormatError
from drydock.formats.record_matrix import read_matrix
from drydock.frameworks import content_codecs
from drydock.frameworks.content_codecs import ArrayLike
from drydock.serving.model_server.handler import ModelHandlerError

_DOCS = "https://sagemaker.readthedocs.io/en/stable/"


class DefaultInference:
    """The toolkit's bare defaults (a framework without its own)."""

    def default_model_fn(self, model_dir: str) -> Any:
        raise NotImplementedError(
            f"Please provide a model_fn implementation.\nSee documentation for model_fn at {_DOCS}"
        )

    def default_input_fn(self, input_data: str | bytes, content_type: str) -> ArrayLike:
        return content_codecs.decode(input_data, content_type)

    def default_predict_fn(self, data: ArrayLike, model: Any) -> ArrayLike:
        raise NotImplementedError(
            f"Please provide a predict_fn implementation.\nSee documentation for predict_fn at {_DOCS}"
        )

    def default_output_fn(self, prediction: ArrayLike, accept: str) -> tuple[bytes, str]:
        return content_codecs.encode(prediction, accept)


class SklearnInference(DefaultInference):
    def default_input_fn(self, input_data: str | bytes, content_type: str) -> ArrayLike:
        array = content_codecs.decode(input_data, content_type)
        if isinstance(array, np.ndarray):
            if array.ndim == 1:
                array = array.reshape(1, -1)
            if content_codecs.media_type(content_type) in content_codecs.UTF8_TYPES:
                array = array.astype(np.float32)
        return array

    def default_predict_fn(self, data: ArrayLike, model: Any) -> ArrayLike:
        return model.predict(data)


RECORDIO_PROTOBUF = "application/x-recordio-protobuf"


class XGBoostInference(DefaultInference):
    def default_model_fn(self, model_dir: str) -> Any:
        import xgboost as xgb

        files = sorted(p for p in Path(model_dir).iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise FileNotFoundError(f"no model file in {model_dir}")
        path = files[0]
        try:
            with path.open("rb") as handle:
                # The model file is the user's own training output, as trusted as their script.
                booster = pickle.load(handle)
        except Exception as pickle_error:
            try:
                booster = xgb.Booster()
                booster.load_model(bytearray(path.read_bytes()))
            except Exception as xgb_error:
                raise RuntimeError(
                    f"Model {path} cannot be loaded:\nPickle load error={pickle_error}"
                    f"\nXGB load model error={xgb_error}"
                ) from xgb_error
        return booster

    def default_input_fn(self, input_data: str | bytes, content_type: str) -> ArrayLike:
        import xgboost as xgb

        kind = content_codecs.media_type(content_type)
        if kind == RECORDIO_PROTOBUF:
            raw = input_data.encode("utf-8") if isinstance(input_data, str) else input_data
            try:
                return xgb.DMatrix(read_matrix(io.BytesIO(raw), "request").features)
            except DataFormatError as error:
                raise ModelHandlerError(400, f"Could not decode the request body as {kind}: {error}") from error
        if kind == content_codecs.CSV:
            # One row per line, even for a single column (the container splits on newlines).
            return xgb.DMatrix(content_codecs.decode_rows(input_data, content_type))
        array = content_codecs.decode(input_data, content_type)
        if isinstance(array, np.ndarray) and array.ndim < 2:
            array = array.reshape(1, -1)
        return xgb.DMatrix(array)

    def default_predict_fn(self, data: ArrayLike, model: Any) -> ArrayLike:
        import xgboost as xgb

        if isinstance(model, xgb.Booster):
            return model.predict(data, validate_features=False)
        return model.predict(data)
