"""The in-process baseline of bench/transform.py, run as a process of its own so its memory is its own.

What a user scoring a CSV without Drydock would write: ``pandas.read_csv`` in chunks, the booster's
``inplace_predict`` on each (``nthread`` as given: 1 is what each replica's booster gets), the
predictions appended to a file (raw float32, for the benchmark to compare outputs with). It imports
nothing else, and keeps scikit-learn out as the replica does (``import xgboost`` would otherwise
pull it in, about 120 MiB), so its memory at rest is as small as the replica's.

Prints one JSON line: rows, seconds and CPU seconds from the first read to the last prediction, RSS
once the model is loaded (``ready_kib``) and peak RSS (``VmHWM``, ``peak_kib``).
``python bench/transform_in_process.py CSV MODEL OUT --chunk-rows N --nthread N``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]

import numpy as np  # noqa: E402
import pandas as pd  # type: ignore[import-untyped]  # noqa: E402
import xgboost as xgb  # noqa: E402


def status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--nthread", type=int, default=1)
    args = parser.parse_args()
    booster = xgb.Booster()
    booster.load_model(str(args.model))
    booster.set_param("nthread", str(args.nthread))
    ready_kib = status_kib("VmRSS")
    cpu_before = cpu_seconds()
    rows = 0
    started = time.perf_counter()
    with args.out.open("wb") as out:
        for chunk in pd.read_csv(args.csv, header=None, dtype=np.float32, chunksize=args.chunk_rows):
            predictions = booster.inplace_predict(chunk.to_numpy(), validate_features=False)
            np.asarray(predictions, dtype=np.float32).tofile(out)
            rows += len(chunk)
    seconds = time.perf_counter() - started
    result = {
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu_seconds() - cpu_before,
        "ready_kib": ready_kib,
        "peak_kib": status_kib("VmHWM"),
        "nthread": args.nthread,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
