"""Batch transform: a model's replicas scoring whole datasets, streamed record by record, with
SageMaker's SplitType/BatchStrategy batching and DataProcessing (input filter, join, output filter)."""
