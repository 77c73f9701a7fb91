"""AWS CloudTrail's LookupEvents over Drydock's audit trail (JSON 1.1).

The gateway records every API call (``drydock.store.audit``); this package serves those records as
CloudTrail management events, so ``aws cloudtrail lookup-events``, boto3 and ``drydock audit`` read
the trail the way they would on AWS.
"""
