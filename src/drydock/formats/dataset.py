"""A channel's data once parsed: features, labels and optional instance weights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats.format_error import DataFormatError

#: A dense ``ndarray`` or a ``scipy.sparse.csr_matrix``; scipy ships no type information, hence Any.
Features = npt.NDArray[Any] | Any


@dataclass
class Dataset:
    """Rows of features with their labels (None when the data carries none) and instance weights."""

    features: Features
    labels: npt.NDArray[np.float64] | None
    weights: npt.NDArray[np.float64] | None = None

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])

    @property
    def columns(self) -> int:
        return int(self.features.shape[1])

    @property
    def is_sparse(self) -> bool:
        return bool(scipy.sparse.issparse(self.features))

    def dense(self) -> npt.NDArray[Any]:
        """The features as a dense array (a copy when they are sparse)."""
        if self.is_sparse:
            return np.asarray(scipy.sparse.csr_matrix(self.features).toarray())
        return np.asarray(self.features)


def _optional_concat(
    parts: Sequence[npt.NDArray[np.float64] | None], what: str, source: str
) -> npt.NDArray[np.float64] | None:
    present = [p is not None for p in parts]
    if not any(present):
        return None
    if not all(present):
        raise DataFormatError(f"{source}: some files carry {what} and others do not")
    return np.concatenate([p for p in parts if p is not None]) if parts else None


def concat_datasets(parts: Sequence[Dataset], source: str) -> Dataset:
    """Stack the files of one channel in order.

    Sparse parts (libsvm, sparse RecordIO) may differ in width — a file simply never mentions the
    highest columns — so they are widened to the widest; dense parts must agree, as one CSV table.
    """
    if not parts:
        raise DataFormatError(f"{source}: no data")
    if len(parts) == 1:
        return parts[0]
    labels = _optional_concat([p.labels for p in parts], "labels", source)
    weights = _optional_concat([p.weights for p in parts], "instance weights", source)
    if any(p.is_sparse for p in parts):
        width = max(p.columns for p in parts)
        blocks = [scipy.sparse.csr_matrix(p.features) for p in parts]
        blocks = [b if b.shape[1] == width else scipy.sparse.csr_matrix(b, shape=(b.shape[0], width)) for b in blocks]
        return Dataset(scipy.sparse.vstack(blocks, format="csr"), labels, weights)
    widths = {p.columns for p in parts}
    if len(widths) > 1:
        raise DataFormatError(f"{source}: files have different numbers of columns: {sorted(widths)}")
    return Dataset(np.vstack([p.features for p in parts]), labels, weights)
