"""CloudWatch metrics (smithy rpc-v2-cbor, SigV4 service ``monitoring``): PutMetricData,
GetMetricStatistics, GetMetricData and ListMetrics over :class:`drydock.store.metric_data.MetricStore`.

Endpoints publish their invocation metrics (namespace ``AWS/SageMaker``) into the same store, so
``get_metric_statistics`` on ``Invocations`` or ``ModelLatency`` works as it does on AWS.
"""
