"""The model an XGBoost endpoint serves, loaded from the model directory as SageMaker's container does.

The container (1.7-1, ``serve_utils.get_loaded_booster``) does not insist on a file name: every regular
file at the top of ``/opt/ml/model`` that does not start with ``.`` is a model. With
``SAGEMAKER_INFERENCE_ENSEMBLE`` unset or ``true`` it loads all of them and, when there are several
(k-fold training writes ``xgboost-model-<fold>``), answers with their average (a majority vote for
``multi:softmax`` and ``binary:hinge``, whose outputs are labels); otherwise it loads one. A file may
be anything ``Booster.load_model`` reads (our training writes UBJSON) or a pickled ``Booster``.

Predictions use every tree, as the container's do: the model file keeps all rounds even when training
stopped early. Each booster predicts on one thread (the container sets ``nthread=1`` as well); the
server's thread pool provides the parallelism.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse  # type: ignore[import-untyped]
import xgboost as xgb

from drydock.errors import ValidationError
from drydock.formats.dataset import Features
from drydock.serving.model_server.handler import ModelHandlerError

log = logging.getLogger("drydock.algorithms.xgboost")

#: What the XGBoost algorithm's training writes; preferred when only one model is loaded.
MODEL_NAME = "xgboost-model"
#: Objectives whose predictions are class labels: an ensemble votes instead of averaging.
VOTING_OBJECTIVES = frozenset({"multi:softmax", "binary:hinge"})
BAD_REQUEST = 400
_PICKLE_MAGIC = b"\x80"  # every pickle since protocol 2 starts with the PROTO opcode

Predictions = npt.NDArray[np.float32]


class ModelLoadError(ValidationError):
    """The model directory holds nothing XGBoost can serve; the message says what and where."""


@dataclass
class ServedModel:
    boosters: list[xgb.Booster]
    #: The learner's objective name (``binary:logistic``, ``multi:softprob``, ...).
    objective: str
    #: ``num_class`` as the learner's configuration holds it (``"0"`` unless multi-class).
    num_class: str
    num_features: int
    #: xgboost predicts concurrently from one Booster only for gbtree; others are serialised.
    _lock: threading.Lock | None = field(default=None, repr=False)
    _inplace: bool = field(default=True, repr=False)

    @classmethod
    def load(cls, model_dir: Path, *, ensemble: bool) -> ServedModel:
        """Load the model file(s) in ``model_dir``; raises :class:`ModelLoadError`."""
        boosters = [read_model(path) for path in model_files(model_dir, ensemble=ensemble)]
        configs = [json.loads(booster.save_config())["learner"] for booster in boosters]
        for booster in boosters:
            booster.set_param("nthread", "1")
        gbtree = all(config["gradient_booster"]["name"] == "gbtree" for config in configs)
        return cls(
            boosters=boosters,
            objective=str(configs[0]["objective"]["name"]),
            num_class=str(configs[0]["learner_model_param"].get("num_class", "")),
            num_features=max(booster.num_features() for booster in boosters),
            _lock=None if gbtree else threading.Lock(),
            # In-place prediction skips building a DMatrix (a third of a one-row request's time); it
            # gives gbtree's exact results but dart's differ and gblinear has none, so they use predict.
            _inplace=gbtree,
        )

    def predict(self, features: Features) -> Predictions:
        """One prediction per row (a row of class probabilities for ``multi:softprob``); raises a 400
        :class:`ModelHandlerError` when xgboost cannot use the rows (more features than the model has)."""
        try:
            if self._lock is None:
                outputs = [self._predict(booster, features) for booster in self.boosters]
            else:
                with self._lock:
                    outputs = [self._predict(booster, features) for booster in self.boosters]
        except (xgb.core.XGBoostError, ValueError, TypeError) as error:
            reason = str(error).split("\n", 1)[0]
            raise ModelHandlerError(BAD_REQUEST, f"Unable to evaluate payload provided: {reason}") from None
        if len(outputs) == 1:
            return outputs[0]
        stacked = np.stack(outputs)
        if self.objective in VOTING_OBJECTIVES:
            return _majority(stacked)
        return np.asarray(stacked.mean(axis=0), dtype=np.float32)

    def _predict(self, booster: xgb.Booster, features: Features) -> Predictions:
        if not self._inplace:
            return booster.predict(xgb.DMatrix(features, nthread=1), validate_features=False)
        # Fewer columns than the model knows are missing values, as in a DMatrix; in-place prediction
        # wants them spelled out.
        columns = int(features.shape[1])
        if columns < self.num_features:
            features = _widened(features, self.num_features)
        return np.asarray(booster.inplace_predict(features, validate_features=False), dtype=np.float32)


def model_files(model_dir: Path, *, ensemble: bool) -> list[Path]:
    """The files to load: all of them for an ensemble, else ``xgboost-model`` or the first by name."""
    if not model_dir.is_dir():
        raise ModelLoadError(f"The model directory {model_dir} does not exist")
    files: list[Path] = []
    for path in sorted(model_dir.iterdir()):
        if not path.is_file():
            continue
        if path.name.startswith("."):
            log.warning("Ignoring dotfile %s in the model directory; leave dotfiles out of model archives", path)
            continue
        files.append(path)
    if not files:
        raise ModelLoadError(
            f"No model file in {model_dir}: the model archive must hold {MODEL_NAME} (what the XGBoost "
            "algorithm's training writes) or another file xgboost can load, at its top level"
        )
    if ensemble:
        return files
    preferred = model_dir / MODEL_NAME
    return [preferred if preferred in files else files[0]]


def read_model(path: Path) -> xgb.Booster:
    """A Booster from an xgboost model file (UBJSON, JSON or binary) or a pickled Booster."""
    data = path.read_bytes()
    if data.startswith(_PICKLE_MAGIC):
        try:
            loaded = pickle.loads(data)
        except Exception as error:  # unpickling raises whatever the pickled classes raise
            raise ModelLoadError(f"Model {path} cannot be loaded: it is a pickle that fails to load: {error}") from None
        if not isinstance(loaded, xgb.Booster):
            raise ModelLoadError(
                f"Model {path} cannot be loaded: it is a pickled {type(loaded).__name__}, not an xgboost Booster"
            )
        return loaded
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(data))  # from bytes, so xgboost detects the format itself
    except xgb.core.XGBoostError as error:
        reason = str(error).split("\n", 1)[0]
        raise ModelLoadError(
            f"Model {path} cannot be loaded: it is not a model xgboost {xgb.__version__} can read ({reason})"
        ) from None
    return booster


def _widened(features: Features, columns: int) -> Features:
    rows = int(features.shape[0])
    if scipy.sparse.issparse(features):
        csr = scipy.sparse.csr_matrix(features)
        return scipy.sparse.csr_matrix((csr.data, csr.indices, csr.indptr), shape=(rows, columns))
    padding = np.full((rows, columns - int(features.shape[1])), np.nan)
    return np.hstack([np.asarray(features, dtype=np.float64), padding])


def _majority(stacked: Predictions) -> Predictions:
    """Per row, the label most boosters predicted (the smallest among ties, as ``scipy.stats.mode``)."""
    voted = np.empty(stacked.shape[1:], dtype=np.float32)
    for row in range(stacked.shape[1]):
        labels, counts = np.unique(stacked[:, row], return_counts=True)
        voted[row] = labels[int(np.argmax(counts))]
    return voted
