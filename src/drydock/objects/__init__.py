"""The ObjectStore port: where Drydock keeps bytes (training data, model artifacts, S3 objects).

``port.py`` defines the protocol every implementation honours; ``embedded.py`` keeps blobs on local
disk with their key index in the store, ``external.py`` talks to any S3-compatible endpoint through
boto3. ``drydock.testing.object_store_contract`` is the suite both pass.
"""
