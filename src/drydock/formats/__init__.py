"""Data formats that training and hosting share.

SageMaker's built-in algorithms read training channels as ``text/csv`` (label first, no header),
``text/libsvm``, ``application/x-parquet`` and ``application/x-recordio-protobuf``; the same formats
come back as inference payloads. This package owns their parsing and writing and nothing else: it
does no network I/O and never imports ``wire``, ``services`` or ``server``.

- :mod:`.recordio` — RecordIO framing (magic ``0xCED7230A``, length, payload, padding).
- :mod:`.protobuf_wire` — the few protobuf wire-format primitives the Record schema needs.
- :mod:`.record_protobuf` — the ``aialgs.data.Record`` message, encoded and decoded by hand.
- :mod:`.record_matrix` — numpy matrices to and from RecordIO-protobuf.
- :mod:`.content_type` — content-type parsing, aliases and parameters.
- :mod:`.tabular` — csv, libsvm and parquet parsers into features and labels.
- :mod:`.channel` — a channel directory (nested, gzip) or a Pipe-mode stream into a dataset.
"""
