"""CloudWatch Logs (JSON 1.1, target prefix ``Logs_20140328``): groups, streams and events.

Training jobs and endpoints write here; ``fit(logs=True)`` in the SageMaker SDK tails it with
DescribeLogStreams and GetLogEvents. Storage is :class:`drydock.store.log_events.LogStore`.
"""
