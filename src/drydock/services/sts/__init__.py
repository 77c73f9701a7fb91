"""AWS STS (query protocol, ``Action=...&Version=2011-06-15``): who the caller is.

Only GetCallerIdentity is served: boto3, the aws CLI and the SageMaker SDK's telemetry call it to
learn the account; Drydock has no temporary credentials to hand out.
"""
