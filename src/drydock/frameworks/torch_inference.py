"""PyTorch's defaults, as ``sagemaker-pytorch-inference-toolkit``'s ``DefaultPytorchInferenceHandler``.

* ``model_fn``: TorchScript only — ``model.pt`` in the model directory, else its one ``.pt``/``.pth``
  file — loaded with ``torch.jit.load`` onto the CPU (Drydock serves on CPU). A file that is not
  TorchScript (an eager ``torch.save``) fails with the toolkit's "Please ensure model is saved using
  torchscript." message; such models need a ``model_fn``.
* ``input_fn``: the default decoders; JSON and CSV become a float32 tensor, NPY keeps its dtype
  (``torch.from_numpy``), a sparse NPZ is made dense first.
* ``predict_fn``: ``model.eval()`` and ``model(tensor)`` under ``torch.no_grad()``; the result comes
  back as NumPy. One difference, on purpose: a floating-point tensor is cast to the dtype of the
  model's floating-point parameters first. The SDK's ``NumpySerializer`` sends Python floats as
  float64, which a float32 model rejects on SageMaker ("expected ... Float but found Double").
* ``output_fn``: the default encoders.

``torch`` is imported only here, and this module only when a PyTorch image is served.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse  # type: ignore[import-untyped]
import torch

from drydock.frameworks import content_codecs
from drydock.frameworks.content_codecs import ArrayLike
from drydock.frameworks.inference_defaults import DefaultInference

DEFAULT_MODEL_FILENAME = "model.pt"
MODEL_SUFFIXES = (".pt", ".pth")


class ModelLoadError(Exception):
    """The model file is not TorchScript."""


class TorchInference(DefaultInference):
    def default_model_fn(self, model_dir: str) -> Any:
        path = Path(model_dir) / DEFAULT_MODEL_FILENAME
        if not path.exists():
            candidates = sorted(p.name for p in Path(model_dir).iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES)
            if len(candidates) != 1:
                raise ValueError(f"Exactly one .pth or .pt file is required for PyTorch models: {candidates}")
            path = Path(model_dir) / candidates[0]
        try:
            model = torch.jit.load(os.fspath(path), map_location=torch.device("cpu"))  # type: ignore[no-untyped-call]
        except RuntimeError as error:
            raise ModelLoadError(f"Failed to load {path}. Please ensure model is saved using torchscript.") from error
        return model

    def default_input_fn(self, input_data: str | bytes, content_type: str) -> ArrayLike:
        array = content_codecs.decode(input_data, content_type)
        if scipy.sparse.issparse(array):
            array = array.toarray()
        if content_codecs.media_type(content_type) in content_codecs.UTF8_TYPES:
            return torch.tensor(np.asarray(array), dtype=torch.float32)
        return torch.from_numpy(np.ascontiguousarray(array))

    def default_predict_fn(self, data: ArrayLike, model: Any) -> ArrayLike:
        tensor = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
        with torch.no_grad():
            model.eval()
            dtype = _floating_parameter_dtype(model)
            if dtype is not None and tensor.is_floating_point() and tensor.dtype != dtype:
                tensor = tensor.to(dtype)
            output = model(tensor)
        return _to_numpy(output)


def _floating_parameter_dtype(model: Any) -> torch.dtype | None:
    parameters = getattr(model, "parameters", None)
    if parameters is None:
        return None
    for parameter in parameters():
        if isinstance(parameter, torch.Tensor) and parameter.is_floating_point():
            return parameter.dtype
    return None


def _to_numpy(output: Any) -> Any:
    if isinstance(output, torch.Tensor):
        return output.detach().cpu().numpy()
    if isinstance(output, tuple | list):
        return type(output)(_to_numpy(item) for item in output)
    if isinstance(output, dict):
        return {key: _to_numpy(value) for key, value in output.items()}
    return output
