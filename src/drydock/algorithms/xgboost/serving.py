"""The built-in XGBoost algorithm's inference: a :class:`~drydock.serving.model_server.handler.ModelHandler`
that answers as SageMaker's XGBoost container (1.7-1, ``algorithm_mode/serve.py``) does.

An invocation goes: an empty body is answered 204; the body is read by its Content-Type (415 when the
type is unsupported or the data does not parse, :mod:`.payload`); the model predicts (400 "Unable to
evaluate payload provided" when xgboost refuses the rows, :mod:`.served_model`); the Accept is
checked (406) and the predictions written in it (:mod:`.predictions`). The checks come in the
container's order, so a request with several faults gets the status the container would give.

The container's environment switches are read once, when the handler is built:
``SAGEMAKER_BATCH`` (batch transform's one-prediction-per-line output), ``SAGEMAKER_INFERENCE_OUTPUT``
(selected outputs), ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` and ``SAGEMAKER_INFERENCE_ENSEMBLE``.
Custom attributes come back as the client sent them, so a client can correlate replies.

xgboost is imported by :meth:`XGBoostHandler.load`, not by this module (which brings numpy and scipy):
building the handler stays cheap, and a process that cannot serve fails before paying for xgboost.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drydock.algorithms.xgboost import payload, predictions
from drydock.serving.model_server.handler import InferenceRequest, InferenceResponse, ModelHandlerError

if TYPE_CHECKING:
    from drydock.algorithms.xgboost.served_model import ServedModel

log = logging.getLogger("drydock.algorithms.xgboost")


@dataclass(frozen=True)
class ServingOptions:
    #: Batch transform: ``SAGEMAKER_BATCH`` set to anything non-empty, as the container tests it.
    batch: bool
    #: The keys of ``SAGEMAKER_INFERENCE_OUTPUT``, or None when selected outputs are off.
    selected_keys: list[str] | None
    default_accept: str
    ensemble: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServingOptions:
        env = os.environ if environ is None else environ
        selection = env.get("SAGEMAKER_INFERENCE_OUTPUT")
        return cls(
            batch=bool(env.get("SAGEMAKER_BATCH")),
            selected_keys=None if selection is None else selection.replace(" ", "").lower().split(","),
            default_accept=env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or "text/csv",
            ensemble=env.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true") == "true",
        )


class XGBoostHandler:
    """Serves the model(s) in the model directory; thread-safe once loaded."""

    def __init__(self, options: ServingOptions | None = None) -> None:
        self.options = options or ServingOptions.from_env()
        self._model: ServedModel | None = None

    def load(self, model_dir: Path) -> None:
        from drydock.algorithms.xgboost.served_model import ServedModel

        model = ServedModel.load(model_dir, ensemble=self.options.ensemble)
        log.info(
            "Loaded %d model file(s) from %s: objective %s, %d features",
            len(model.boosters),
            model_dir,
            model.objective,
            model.num_features,
        )
        self._warn_unselectable(model)
        self._model = model

    def invoke(self, request: InferenceRequest) -> InferenceResponse:
        model = self._model
        if model is None:
            raise ModelHandlerError(500, "The model is not loaded")
        if not request.body:
            # The container answers an empty body with 204 and no content.
            return InferenceResponse(b"", "text/plain", request.custom_attributes, status=204)
        features = payload.decode_features(request.body, request.content_type)
        scores = model.predict(features)
        accept = predictions.accept_type(request.accept, self.options.default_accept)
        keys = self.options.selected_keys
        if keys is None:
            body = predictions.encode_predictions(scores, accept, batch=self.options.batch)
        else:
            records = predictions.select(scores, keys, model.objective, model.num_class)
            body = predictions.encode_selected(records, keys, accept, batch=self.options.batch)
        return InferenceResponse(body, predictions.response_type(accept), request.custom_attributes)

    def _warn_unselectable(self, model: ServedModel) -> None:
        keys = self.options.selected_keys
        if keys is None:
            return
        valid = predictions.SELECTABLE_KEYS.get(model.objective)
        if valid is None:
            log.warning("Objective %s has no selectable inference outputs; invocations will fail", model.objective)
            return
        invalid = [key for key in keys if key not in valid]
        if invalid:
            # As the container warns; these keys come back as NaN.
            log.warning(
                "Selected key(s) %s incompatible for objective '%s'. Please use list of compatible selectable "
                "inference predictions: %s",
                invalid,
                model.objective,
                list(valid),
            )
